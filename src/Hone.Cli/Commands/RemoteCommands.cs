using System.CommandLine;
using System.Globalization;
using Hone.Remote;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone remote train sft|dpo</c>: the same job on a hosted service (OpenAI, Azure OpenAI, hone serve, Together,
/// Fireworks), recorded in the run store; <c>hone remote pull RUN</c>: the tuned adapter of a Together or Fireworks run.
/// Parsing and printing only: the work is <see cref="RemoteTrainer"/>'s.
/// </summary>
public static class RemoteCommands
{
    /// <summary>Builds <c>hone remote</c>.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = new Command("remote", "Fine-tune on a hosted service (OpenAI, Azure OpenAI /openai/v1/, hone serve, Together, Fireworks) with the run recorded here.");
        var train = new Command("train", "Run an SFT or DPO job on a hosted service: data check, cost estimate, upload, create, poll with progress, metrics and cost into the run store, the model registered for hone eval.");
        train.Subcommands.Add(CreateTrain(host, RemoteMethod.Sft));
        train.Subcommands.Add(CreateTrain(host, RemoteMethod.Dpo));
        cmd.Subcommands.Add(train);
        cmd.Subcommands.Add(CreatePull(host));
        return cmd;
    }

    private static Command CreateTrain(CliHost host, RemoteMethod method)
    {
        var name = method == RemoteMethod.Dpo ? "dpo" : "sft";
        var provider = new Option<string>("--provider") { Description = "A provider of hone.yaml (its base_url and api_key_env) or openai, together, fireworks.", Required = true };
        var data = new Option<string>("--data") { Description = method == RemoteMethod.Dpo ? "Preference pairs JSONL (OpenAI's DPO format)." : "Chat SFT JSONL (OpenAI's format).", Required = true };
        var model = new Option<string>("--model") { Description = "The provider's base model id.", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation JSONL." };
        var epochs = new Option<string>("--epochs") { Description = "auto or N.", DefaultValueFactory = _ => "auto" };
        var lr = new Option<string>("--lr-multiplier") { Description = "auto or a multiplier (Together/Fireworks: × Hone's LoRA base rate 2e-4).", DefaultValueFactory = _ => "auto" };
        var batch = new Option<string>("--batch-size") { Description = "auto or N (not sent to Fireworks, whose batch counts tokens).", DefaultValueFactory = _ => "auto" };
        var beta = new Option<string>("--beta") { Description = "DPO β: auto or a number.", DefaultValueFactory = _ => "auto" };
        var suffix = new Option<string?>("--suffix") { Description = "Suffix of the tuned model's name." };
        var seed = new Option<int?>("--seed") { Description = "Seed." };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank (Together, Fireworks).", DefaultValueFactory = _ => 8 };
        var kind = new Option<string?>("--kind") { Description = "The API shape when the URL does not tell: openai, together, fireworks." };
        var account = new Option<string?>("--account") { Description = "Fireworks account id (default FIREWORKS_ACCOUNT_ID)." };
        var poll = new Option<double>("--poll-seconds") { Description = "Seconds between polls.", DefaultValueFactory = _ => 10 };
        var price = new Option<decimal?>("--price-per-1m") { Description = "Training price per 1M tokens for the estimate (else the price table's)." };
        var estimate = new Option<bool>("--estimate") { Description = "Only check the data and estimate tokens and cost; upload nothing." };
        var cmd = new Command(name, $"Run a {name.ToUpperInvariant()} job on a hosted service and record it as a run (kind {RemoteTrainer.RunKind(method)}). Exit 0 when it succeeded, 1 when the job failed or was cancelled, 2 on bad input (the data check's errors included).")
        {
            provider, data, model, valid, epochs, lr, batch, beta, suffix, seed, rank, kind, account, poll, price, estimate,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            if (method == RemoteMethod.Sft && p.GetValue(beta) != "auto") throw new CliUsageException("--beta is a DPO option.");
            var options = new RemoteTrainOptions
            {
                Method = method, DataFile = ctx.ResolvePath(p.GetValue(data)!), ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                BaseModel = p.GetValue(model)!, Epochs = (int?)Auto(p.GetValue(epochs)!, "--epochs"), LearningRateMultiplier = Auto(p.GetValue(lr)!, "--lr-multiplier"),
                BatchSize = (int?)Auto(p.GetValue(batch)!, "--batch-size"), Beta = Auto(p.GetValue(beta)!, "--beta"), Suffix = p.GetValue(suffix), Seed = p.GetValue(seed),
                LoraRank = p.GetValue(rank), PollInterval = TimeSpan.FromSeconds(p.GetValue(poll)), PricePer1M = p.GetValue(price),
            }.Validate();
            var ws = ctx.RequireWorkspace();
            var target = RemoteProvider.Resolve(p.GetValue(provider)!, ws.Config, p.GetValue(kind));
            if (p.GetValue(estimate))
            {
                var report = RemoteTrainer.Check(options);
                ctx.WriteJson(new { provider = target.Name, kind = target.Kind, examples = report.Examples, tokens = report.Tokens?.Total, cost = report.Cost });
                if (!ctx.Json)
                    ctx.Console.MarkupLine($"{report.Examples} examples, {report.Cost?.BilledTokens ?? 0} billed tokens over {report.Cost?.Epochs ?? 0} epochs; "
                        + (report.Cost?.EstimatedUsd is { } usd ? $"about ${usd.ToString("0.00", CultureInfo.InvariantCulture)} ({Markup.Escape(report.Cost.PriceSource ?? "")})" : "no price known for this model (give --price-per-1m)") + ". Nothing uploaded.");
                return ExitCodes.Success;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var service = target.Connect(http, target.ApiKey(Environment.GetEnvironmentVariable), p.GetValue(account) ?? Environment.GetEnvironmentVariable("FIREWORKS_ACCOUNT_ID"));
            using var store = ws.OpenStore();
            var last = "";
            var progress = new SyncProgress<RemoteJob>(j =>
            {
                var line = $"{j.Id}: {j.RawStatus}" + (j.Progress is { } f ? $" {f:P0}" : "");
                if (line != last && !ctx.Json) ctx.Stderr.WriteLine(line);
                last = line;
            });
            var result = await RemoteTrainer.RunAsync(service, target, options, store, progress, ct).ConfigureAwait(false);
            var registered = result.EvalModel is not null && RemoteTrainer.Register(ws, target);
            ctx.WriteJson(new
            {
                run = result.RunId, job = result.Job.Id, status = result.Job.RawStatus, fine_tuned_model = result.Job.OutputModel, eval_model = result.EvalModel,
                trained_tokens = result.Job.TrainedTokens, cost_usd = result.CostUsd, cost_source = result.CostSource, metrics = result.Metrics,
                seconds = result.Seconds, error = result.Job.Error, provider_registered = registered,
            });
            if (!ctx.Json)
            {
                ctx.Console.MarkupLine($"run {result.RunId}: job {Markup.Escape(result.Job.Id)} {result.Job.RawStatus}"
                    + (result.EvalModel is { } m ? $"; evaluate it with [bold]hone eval --model {Markup.Escape(m)}[/]" : "")
                    + $"; cost {(result.CostUsd is { } c ? "$" + c.ToString("0.0000", CultureInfo.InvariantCulture) : "unknown")} ({Markup.Escape(result.CostSource)}); {result.Metrics} metric values recorded.");
                if (result.Job.Error is { } err) ctx.Stderr.WriteLine("error: " + err);
            }
            return result.Job.State == RemoteState.Succeeded ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }

    private static Command CreatePull(CliHost host)
    {
        var run = new Argument<string>("RUN") { Description = "A remote run (its id or a unique start of it) of a provider whose weights can be downloaded (Together, Fireworks)." };
        var output = new Option<string?>("--out") { Description = "Folder for the adapter (default: runs/RUN-adapter in the workspace)." };
        var account = new Option<string?>("--account") { Description = "Fireworks account id (default FIREWORKS_ACCOUNT_ID)." };
        var cmd = new Command("pull", "Download the tuned adapter (PEFT) of a remote run and record it as the run's artifact, ready for local evaluation (hone eval --model local:BASE --adapter DIR).")
        {
            run, output, account,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var record = store.GetRun(p.GetValue(run)!);
            var tags = store.GetTags(record.Id);
            if (!record.Kind.StartsWith("remote-", StringComparison.Ordinal) || !tags.TryGetValue("provider", out var providerName) || !tags.TryGetValue("job_id", out var jobId))
                throw new CliUsageException($"Run {record.Id} is not a remote run with a job ('hone runs --kind remote-sft' lists them).");
            var target = RemoteProvider.Resolve(providerName, ws.Config, System.Text.Json.JsonDocument.Parse(record.OptionsJson).RootElement.GetProperty("kind").GetString());
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var service = target.Connect(http, target.ApiKey(Environment.GetEnvironmentVariable), p.GetValue(account) ?? Environment.GetEnvironmentVariable("FIREWORKS_ACCOUNT_ID"));
            if (!service.CanDownload) throw new CliUsageException($"Provider '{target.Name}' ({target.Kind}) does not let the weights be downloaded; evaluate the model where it is served.");
            var job = await service.GetAsync(jobId, ct).ConfigureAwait(false);
            if (job.State != RemoteState.Succeeded) throw new CliUsageException($"Job {jobId} is {job.RawStatus}; only a finished job has weights to pull.");
            var folder = p.GetValue(output) is { } o ? ctx.ResolvePath(o) : Path.Combine(ws.RunsDir, record.Id + "-adapter");
            var files = await service.DownloadAdapterAsync(job, folder, ct).ConfigureAwait(false);
            store.AddArtifact(record.Id, "adapter", folder, null, files.Sum(f => new FileInfo(f).Length));
            ctx.WriteJson(new { run = record.Id, job = jobId, folder, files });
            if (!ctx.Json) ctx.Console.MarkupLine($"{files.Count} file(s) in {Markup.Escape(folder)}; evaluate it locally with hone eval --model local:BASE --adapter {Markup.Escape(folder)}.");
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>"auto" as null, else the number.</summary>
    private static double? Auto(string text, string option) =>
        text == "auto" ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new CliUsageException($"{option} '{text}' must be auto or a number.");

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
