using System.CommandLine;
using System.Globalization;
using Hone.App.Remote;
using Hone.Remote;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone remote train sft|dpo</c>: the same job on a hosted service (OpenAI, Azure OpenAI, hone serve, Together,
/// Fireworks), recorded in the run store; <c>hone remote pull RUN</c>: the tuned adapter of a Together or Fireworks run.
/// Parsing and printing only: the work is the use cases' (<see cref="RemoteTrain"/>, <see cref="RemotePull"/>).
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
            var options = new RemoteTrainOptions
            {
                Method = method, DataFile = ctx.ResolvePath(p.GetValue(data)!), ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                BaseModel = p.GetValue(model)!, Epochs = (int?)AutoOption.Parse(p.GetValue(epochs)!, "--epochs"), LearningRateMultiplier = AutoOption.Parse(p.GetValue(lr)!, "--lr-multiplier"),
                BatchSize = (int?)AutoOption.Parse(p.GetValue(batch)!, "--batch-size"), Beta = AutoOption.Parse(p.GetValue(beta)!, "--beta"), Suffix = p.GetValue(suffix), Seed = p.GetValue(seed),
                LoraRank = p.GetValue(rank), PollInterval = TimeSpan.FromSeconds(p.GetValue(poll)), PricePer1M = p.GetValue(price),
            };
            var estimateOnly = p.GetValue(estimate);
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            var last = "";
            var progress = new SyncProgress<RemoteJob>(j =>
            {
                var line = $"{j.Id}: {j.RawStatus}" + (j.Progress is { } f ? $" {f:P0}" : "");
                if (line != last && !ctx.Json) ctx.Stderr.WriteLine(line);
                last = line;
            });
            var response = await RemoteTrain.RunAsync(new RemoteTrainRequest(options, p.GetValue(provider)!, p.GetValue(kind), p.GetValue(account), ctx.WorkingDirectory, estimateOnly),
                http, Environment.GetEnvironmentVariable, progress, ct).ConfigureAwait(false);
            var report = response.Estimate;
            if (response.Result is not { } result)
            {
                ctx.WriteJson(response.Document());
                if (!ctx.Json)
                    ctx.Console.MarkupLine($"{report.Examples} examples, {report.Cost?.BilledTokens ?? 0} billed tokens over {report.Cost?.Epochs ?? 0} epochs; "
                        + (report.Cost?.EstimatedUsd is { } usd ? $"about ${usd.ToString("0.00", CultureInfo.InvariantCulture)} ({Markup.Escape(report.Cost.PriceSource ?? "")})" : "no price known for this model (give --price-per-1m)") + ". Nothing uploaded.");
                return ExitCodes.Success;
            }
            ctx.WriteJson(response.Document());
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
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var pulled = await RemotePull.RunAsync(new RemotePullRequest(p.GetValue(run)!, p.GetValue(output), p.GetValue(account), ctx.WorkingDirectory),
                http, Environment.GetEnvironmentVariable, ct).ConfigureAwait(false);
            var (folder, files) = (pulled.Folder, pulled.Files);
            ctx.WriteJson(pulled);
            if (!ctx.Json) ctx.Console.MarkupLine($"{files.Count} file(s) in {Markup.Escape(folder)}; evaluate it locally with hone eval --model local:BASE --adapter {Markup.Escape(folder)}.");
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
