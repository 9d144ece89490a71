using System.CommandLine;
using Hone.App.Migrate;
using Hone.Migrate.Capture;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone migrate capture|plan|run|report</c>: move a retiring hosted fine-tune's behaviour to an open model. Wiring
/// only: the use cases are Hone.App.Migrate's, the steps Hone.Migrate's.
/// </summary>
public static class MigrateCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return new Command("migrate", "Move a retiring hosted fine-tune to an open model: capture its answers, plan, train with the loop, report agreement. Run the four steps in order.")
        {
            Capture(host), MigrateStepCommands.Plan(host), MigrateStepCommands.Run(host), MigrateStepCommands.Report(host),
        };
    }

    internal static Option<string> DirOption() => new("--dir") { Description = "The migration folder (relative to the workspace root).", DefaultValueFactory = _ => "migrate" };

    internal static MigratePlace Place(CliContext ctx, ParseResult p, Option<string> dir) => new(ctx.WorkingDirectory, p.GetValue(dir)!);

    private static Command Capture(CliHost host)
    {
        var dir = DirOption();
        var provider = new Option<string>("--provider") { Description = "A provider of hone.yaml (base_url, api_key_env; the key is read from that variable and never written).", Required = true };
        var model = new Option<string>("--model") { Description = "The hosted model id (e.g. ft:gpt-4o-mini-2024-07-18:acme::abc123).", Required = true };
        var inputs = new Option<string[]>("--inputs") { Description = "JSONL inputs: chat examples (messages; trailing assistant turns dropped) or texts (input). Repeatable.", AllowMultipleArgumentsPerToken = true };
        var pull = new Option<bool>("--pull") { Description = "First pull the fine-tuning files and jobs (events, checkpoints with metrics) through /v1/files and /v1/fine_tuning/jobs into DIR/pulled." };
        var fromFiles = new Option<bool>("--from-files") { Description = "Use the prompts of the pulled training files (of the job that made --model, else all) as inputs." };
        var temperature = new Option<double?>("--temperature") { Description = "Production sampling: temperature." };
        var topP = new Option<double?>("--top-p") { Description = "Production sampling: top_p." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Production sampling: most completion tokens." };
        var seed = new Option<long?>("--seed") { Description = "Production sampling: seed." };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 4 };
        var inPrice = new Option<decimal?>("--input-price") { Description = "The hosted model's input price, dollars per million tokens (for the estimate and the report)." };
        var outPrice = new Option<decimal?>("--output-price") { Description = "The hosted model's output price, dollars per million tokens." };
        var maxUsd = new Option<decimal?>("--max-usd") { Description = "Refuse (exit 2) when the estimate is above this many dollars." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the estimate (and pull, when asked) and send no chat request." };
        var cmd = new Command("capture", "Record the hosted model's answers to your inputs, with its sampling settings, into a golden set (DIR/capture.jsonl). Estimate first; " +
            "resumable (cases already captured are not sent again; answers cached in the run store are not paid again); 429 Retry-After honoured. Exit 1 when some cases failed (run again to retry them).")
        {
            dir, provider, model, inputs, pull, fromFiles, temperature, topP, maxTokens, seed, concurrency, inPrice, outPrice, maxUsd, dryRun,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new MigrateCaptureRequest
            {
                Place = Place(ctx, p, dir),
                Options = new CaptureOptions
                {
                    Provider = p.GetValue(provider)!, Model = p.GetValue(model)!, Concurrency = p.GetValue(concurrency),
                    Settings = new SamplingSettings { Temperature = p.GetValue(temperature), TopP = p.GetValue(topP), MaxTokens = p.GetValue(maxTokens), Seed = p.GetValue(seed) },
                    InputPer1M = p.GetValue(inPrice), OutputPer1M = p.GetValue(outPrice),
                },
                Inputs = [.. (p.GetValue(inputs) ?? []).Select(ctx.ResolvePath)],
                Pull = p.GetValue(pull), FromFiles = p.GetValue(fromFiles), DryRun = p.GetValue(dryRun), MaxUsd = p.GetValue(maxUsd),
            };
            var response = await MigrateCapture.RunAsync(request, (e, pulled) =>
            {
                if (pulled is not null)
                    ctx.Console.MarkupLine($"pulled {pulled.Files.Count} fine-tuning files and {pulled.Jobs.Count} jobs → {Markup.Escape(pulled.Folder)}");
                ctx.Console.MarkupLine($"estimate: {e.ToSend} requests ({e.AlreadyCaptured} already captured), ~{e.InputTokens:N0} input and ≤{e.OutputTokens:N0} output tokens, " +
                    (e.CostUsd is { } usd ? $"≤${usd:0.####}" : "cost unknown (give --input-price/--output-price)") + $", ~{e.Seconds:0} s ({Markup.Escape(e.Method)})");
            }, null, ct).ConfigureAwait(false);
            if (response.Result is { } result)
            {
                ctx.Console.MarkupLine($"captured {result.Captured}/{result.Cases} cases → {Markup.Escape(response.Capture)}: {result.Requests} requests, " +
                    $"{result.CacheHits} from the cache, {result.Resumed} resumed, {result.Errors} failed; {result.InputTokens:N0} + {result.OutputTokens:N0} tokens" +
                    (result.CostUsd is { } c ? $", ${c:0.####}" : "") + $", {result.Seconds:0.0} s");
                foreach (var err in result.FirstErrors) ctx.Warn(err);
            }
            ctx.WriteJson(response);
            return response.HasProblems ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }
}
