using Hone.App.Training;
using System.CommandLine;
using System.Globalization;
using Hone.Training.Improve;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// What <c>hone scale</c> and <c>hone sweep</c> share: the options of <see cref="StudyRequest"/> (the run settings every
/// trial takes, the eval spec that judges them, the study folder) and the printing of the plan and the estimate.
/// </summary>
internal sealed class StudyCli
{
    public ModelCliOptions Local { get; } = ModelCliOptions.Local();
    public Option<string> Data { get; } = new("--data") { Description = "Training JSONL (chat SFT or prompt/completion).", Required = true };
    public Option<string> Spec { get; } = new("--spec") { Description = "The eval spec whose golden set judges every trial (a path or a name in evals/).", Required = true };
    public Option<string> Method { get; } = new("--method") { Description = "lora or full.", DefaultValueFactory = _ => "lora" };
    public Option<string> Batch { get; } = new("--batch-size") { Description = "auto or N examples per optimiser step.", DefaultValueFactory = _ => "auto" };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of every run (and of the ladder).", DefaultValueFactory = _ => 42 };
    public Option<int> Threads { get; } = new("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<string?> Output { get; } = new("--out") { Description = "Study folder (default: runs/KIND-<settings hash>: the same command resumes it)." };
    public Option<bool> EstimateOnly { get; } = new("--estimate-only") { Description = "Measure the probe, print the estimate and stop." };
    public Option<string> Hosted { get; } = new("--hosted-model") { Description = "Hosted model whose fine-tuning price the estimate quotes.", DefaultValueFactory = _ => "gpt-4o-mini" };
    public LoraCliOptions Lora { get; } = new();

    public void AddTo(Command cmd, bool rank = true)
    {
        Local.AddTo(cmd);
        foreach (var o in new Option[] { Data, Spec, Method, Batch, Seed, Threads, Output, EstimateOnly, Hosted, Lora.Alpha, Lora.Targets, Lora.ModulesToSave }) cmd.Options.Add(o);
        if (rank) cmd.Options.Add(Lora.Rank);
    }

    /// <summary>The settings every trial shares.</summary>
    public SftRunOptions RunOptions(ParseResult p, CliContext ctx, int? epochs, double lrMultiplier)
    {
        var model = Local.Get(p, ctx)!;
        var method = TrainText.Method(p.GetValue(Method)!);
        return new SftRunOptions
        {
            ModelPath = model.Path,
            TokenizerPath = model.Tokenizer,
            Template = model.Template,
            TrainFile = ctx.ResolvePath(p.GetValue(Data)!),
            Threads = p.GetValue(Threads),
            Trainer = new SftOptions
            {
                Method = method, Epochs = epochs, BatchSize = TrainText.AutoCount(p.GetValue(Batch)!, "--batch-size"),
                LearningRateMultiplier = lrMultiplier, Seed = p.GetValue(Seed), EvalEvery = 0, KeepCheckpoints = 1,
            },
            Lora = Lora.Bind(p).ToOptions(p.GetValue(Seed)) is var l && l.Rank < 1 ? l with { Rank = 8 } : l, // sweep: --lora-rank is a list
        };
    }

    /// <summary>The shared study request; the trials' run settings from <see cref="RunOptions"/>.</summary>
    public StudyRequest Request(ParseResult p, CliContext ctx, int? epochs, double lrMultiplier) =>
        new(ctx.WorkingDirectory, RunOptions(p, ctx, epochs, lrMultiplier), p.GetValue(Spec)!) { Output = p.GetValue(Output), HostedModel = p.GetValue(Hosted)! };

    /// <summary>The study's plan line.</summary>
    public static void PrintPlan(CliContext ctx, string kind, StudyPlan plan, string what)
    {
        if (ctx.Json) return;
        ctx.Console.MarkupLine($"{kind} {Markup.Escape(plan.Folder)}: {what}");
    }

    /// <summary>Prints the estimate (unless --json).</summary>
    public static void PrintEstimate(CliContext ctx, int trials, StudyEstimateResult? e)
    {
        if (ctx.Json || e is null) return;
        ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]estimate[/] {trials} trial(s) to run, {e.TrainingTokens:N0} training tokens: about {Duration(e.Seconds)} on this machine " +
            $"(probe: {e.TokensPerSecond:0} tok/s, {e.SecondsPerCase:0.00} s per golden case, {e.OverheadSeconds:0.0} s per run; {e.ProbeSeconds:0.0} s)") +
            (e.HostedUsd is { } usd ? string.Create(CultureInfo.InvariantCulture, $"; as hosted fine-tunes of {Markup.Escape(e.HostedModel)} ≈ ${usd:0.00}") : ""));
    }

    public static string Duration(double seconds) =>
        seconds < 90 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s")
        : seconds < 5400 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.0} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.0} h");

    public static string Ci(Hone.Training.Loop.CheckpointScore s) => $"{EvalCommands.Pct(s.Low)}–{EvalCommands.Pct(s.High)}";
}
