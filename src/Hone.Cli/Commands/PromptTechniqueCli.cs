using System.CommandLine;
using System.Globalization;
using Hone.App.Prompts;
using Hone.Prompting.Evaluation;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>What every technique command shares: the options of <see cref="PromptTechniqueRequest"/>, the estimate line, and the number formats.</summary>
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

    /// <summary>The shared part of the request, from the parse result.</summary>
    public PromptTechniqueRequest Request(ParseResult p, CliContext ctx) => new(ctx.WorkingDirectory)
    {
        Golden = p.GetValue(Golden), Model = p.GetValue(Model), Concurrency = p.GetValue(Concurrency), Limit = p.GetValue(Limit), Yes = p.GetValue(Yes),
        NoCache = p.GetValue(NoCache), Tokenizer = Local.TokenizerPath(p, ctx), Template = Local.TemplateName(p), Seed = p.GetValue(Seed),
    };

    /// <summary>Prints the estimate before anything is spent.</summary>
    public static Action<SpendEstimate> ShowEstimate(CliContext ctx) => e =>
    {
        var line = $"estimate: {e.Calls} model calls, {e.InputTokens:N0} tokens in / {e.OutputTokens:N0} out" +
            (e.Usd is { } usd ? $", ${usd.ToString("0.####", CultureInfo.InvariantCulture)}" : ", no price in the spec") +
            $", about {Duration(e.Seconds)} (requests answered before are free: they come from the cache)";
        if (!ctx.Json) ctx.Console.MarkupLine($"[dim]{Markup.Escape(line)}[/]");
    };

    /// <summary>The closing "spent" line.</summary>
    public static void Spent(CliContext ctx, SpendActual spent, string runId) =>
        ctx.Console.MarkupLine($"[dim]spent {spent.Calls} model calls, {Money(spent.Usd)}, {Duration(spent.Seconds)}; run {Markup.Escape(runId)}[/]");

    public static string Duration(double seconds) =>
        seconds < 90 ? $"{seconds:0} s" : seconds < 5400 ? $"{seconds / 60:0} min" : $"{seconds / 3600:0.0} h";

    public static string Money(decimal? usd) => usd is { } d ? "$" + d.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    public static string Pct(double v) => EvalCommands.Pct(v);

    public static string P(double p) => p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Progress lines on stderr when attached to a terminal.</summary>
    public static IProgress<string>? Progress(CliContext ctx) => ctx.Interactive ? new Progress<string>(m => ctx.Stderr.WriteLine("… " + m)) : null;
}
