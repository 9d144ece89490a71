using Hone.App.Evals;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hone.Evals.Runs;
using Hone.Prompting.Evaluation;
using Hone.Store;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The <c>--json</c> document of a prompt technique: the estimate shown before it ran, and its typed result.</summary>
/// <param name="Technique">variants, best-of, induce, debug or optimize.</param>
/// <param name="RunId">The run recorded in the store (kind <c>prompt</c>).</param>
/// <param name="Model">The model.</param>
/// <param name="Estimate">The estimate shown before it ran.</param>
/// <param name="Result">The result.</param>
public sealed record PromptTechniqueJson<T>(string Technique, string RunId, string Model, SpendEstimate Estimate, T Result);

/// <summary>What every technique command shares: options, the model, the evaluator, the estimate and the --yes rule, the run record.</summary>
internal sealed class PromptTechniqueCli
{
    public Option<string?> Golden { get; } = PromptCli.GoldenOption();
    public Option<string?> Model { get; } = new("--model") { Description = "provider:model (a provider of hone.yaml) or local:DIR; default: the spec's model, else default_model." };
    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Model calls in flight (1-64).", DefaultValueFactory = _ => 4 };
    public Option<int?> Limit { get; } = new("--limit") { Description = "Only the first N golden cases." };
    public Option<bool> Yes { get; } = new("--yes") { Description = "Run even when the estimate is above the prompting budget of hone.yaml." };
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Call the model even for requests answered before." };
    public ModelCliOptions Local { get; } = ModelCliOptions.ForLocalModelsOf(); // --tokenizer, --template for local: models
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of shuffles, splits and the bootstrap.", DefaultValueFactory = _ => 0 };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Golden, Model, Concurrency, Limit, Yes, NoCache, Seed }) cmd.Options.Add(o);
        Local.AddTo(cmd);
    }

    /// <summary>Everything a technique run needs, opened from the parse result.</summary>
    public sealed class Session : IDisposable
    {
        public required Workspace Workspace { get; init; }
        public required RunStore Store { get; init; }
        public required ChatModelResolver Resolver { get; init; }
        public required GoldenInput Golden { get; init; }
        public required string ModelName { get; init; }
        public required IChatClient ModelClient { get; init; }
        public required PromptEvaluator Evaluator { get; init; }
        public required IReadOnlyList<Hone.Evals.Specs.GoldenCase> Cases { get; init; }

        public void Dispose()
        {
            Evaluator.Dispose();
            ModelClient.Dispose();
            Store.Dispose();
        }
    }

    public Session Open(ParseResult p, CliContext ctx, SpendLimit? limit = null)
    {
        var ws = ctx.RequireWorkspace();
        var store = ws.OpenStore();
        try
        {
            var resolver = EvalWorkspace.Resolver(ws, Local.TemplateName(p), store, ctx.ResolvePath, Local.TokenizerPath(p, ctx));
            var golden = PromptCli.LoadGolden(ctx, ws, p.GetValue(Golden), resolver, specRequired: true);
            var spec = golden.Spec!;
            var model = p.GetValue(Model) ?? spec.Models.FirstOrDefault() ?? ws.Config.DefaultModel
                ?? throw new CliUsageException("No model: give --model provider:model or local:DIR, 'model:' in the spec, or default_model in hone.yaml.");
            int concurrency = p.GetValue(Concurrency);
            if (concurrency is < 1 or > 64) throw new CliUsageException($"--concurrency must be from 1 to 64; got {concurrency}.");
            var cases = p.GetValue(Limit) is { } n ? (n < 1 ? throw new CliUsageException("--limit must be at least 1.") : golden.Cases.Take(n).ToList()) : golden.Cases;
            var client = resolver.Resolve(model);
            return new Session
            {
                Workspace = ws, Store = store, Resolver = resolver, Golden = golden, ModelName = model, ModelClient = client, Cases = cases,
                Evaluator = new PromptEvaluator(client, new EvaluatorOptions
                {
                    Spec = spec, Cache = p.GetValue(NoCache) ? null : store, Concurrency = concurrency, Limit = limit ?? SpendLimit.None,
                }),
            };
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Shows the estimate; refuses (exit 2, nothing spent) when it is above the budget and --yes was not given.</summary>
    public void Confirm(ParseResult p, CliContext ctx, Session s, SpendEstimate e)
    {
        var line = $"estimate: {e.Calls} model calls, {e.InputTokens:N0} tokens in / {e.OutputTokens:N0} out" +
            (e.Usd is { } usd ? $", ${usd.ToString("0.####", CultureInfo.InvariantCulture)}" : ", no price in the spec") +
            $", about {Duration(e.Seconds)} (requests answered before are free: they come from the cache)";
        if (!ctx.Json) ctx.Console.MarkupLine($"[dim]{Markup.Escape(line)}[/]");
        if (BudgetGate.NeedsConfirmation(e, s.Workspace.Config.Prompting) is { } why && !p.GetValue(Yes))
            throw new CliUsageException($"this would spend {why}; nothing was sent. Re-run with --yes, or raise the budget, or use --limit N.");
    }

    /// <summary>Records the technique as a run (kind <c>prompt</c>) with its result as the summary and <c>result.json</c>.</summary>
    public static string Record<T>(Session s, string technique, string prompt, T result)
    {
        var run = s.Store.CreateRun("prompt", $"{technique}:{prompt}", JsonSerializer.Serialize(new { technique, prompt, model = s.ModelName, golden = s.Golden.Path }));
        var json = JsonSerializer.Serialize(result, CliContext.JsonOptions);
        var path = Path.Combine(s.Workspace.RunsDir, run.Id, "result.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, json);
        s.Store.AddArtifact(run.Id, "result.json", path, null, new FileInfo(path).Length);
        s.Store.SetStatus(run.Id, RunStatus.Succeeded, json);
        return run.Id;
    }

    public static string Duration(double seconds) =>
        seconds < 90 ? $"{seconds:0} s" : seconds < 5400 ? $"{seconds / 60:0} min" : $"{seconds / 3600:0.0} h";

    public static string Money(decimal? usd) => usd is { } d ? "$" + d.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    public static string Pct(double v) => EvalCommands.Pct(v);

    public static string P(double p) => p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Progress lines on stderr when attached to a terminal.</summary>
    public static IProgress<string>? Progress(CliContext ctx) => ctx.Interactive ? new Progress<string>(m => ctx.Stderr.WriteLine("… " + m)) : null;
}
