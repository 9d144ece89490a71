using Hone.App.Evals;
using Hone.App.Training;
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Improve;
using Hone.Training.Runs;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// What <c>hone scale</c> and <c>hone sweep</c> share: the run settings every trial takes (model, data, method, batch,
/// seed, threads), the eval spec that judges them, the study folder (by default named after the settings, so the same
/// command resumes), the estimate from a measured probe printed before anything trains, and the paired test.
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
        var method = p.GetValue(Method) switch
        {
            "lora" => TrainingMethod.Lora,
            "full" => TrainingMethod.Full,
            var m => throw new CliUsageException($"--method {m}: use lora or full."),
        };
        return new SftRunOptions
        {
            ModelPath = model.Path,
            TokenizerPath = model.Tokenizer,
            Template = model.Template,
            TrainFile = ctx.ResolvePath(p.GetValue(Data)!),
            Threads = p.GetValue(Threads),
            Trainer = new SftOptions
            {
                Method = method, Epochs = epochs, BatchSize = TrainDpoCommand.ParseAuto(p.GetValue(Batch)!, "--batch-size"),
                LearningRateMultiplier = lrMultiplier, Seed = p.GetValue(Seed), EvalEvery = 0, KeepCheckpoints = 1,
            },
            Lora = Lora.Build(p, p.GetValue(Seed)) is var l && l.Rank < 1 ? l with { Rank = 8 } : Lora.Build(p, p.GetValue(Seed)), // sweep: --lora-rank is a list
        };
    }

    /// <summary>--out, else runs/KIND-HASH of the settings.</summary>
    public string Folder(ParseResult p, CliContext ctx, Workspace ws, string kind, object settings) =>
        p.GetValue(Output) is { } o ? ctx.ResolvePath(o)
        : Path.Combine(ws.RunsDir, kind + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(settings))))[..10]);

    /// <summary>What judges a study's trials: the spec's path with the hash of it and its golden set (part of the study's identity).</summary>
    public static string Judge(string specPath, Hone.Evals.Specs.EvalSpec spec) =>
        $"{Path.GetFullPath(specPath)} sha256:{RunFolder.Sha256File(specPath)[..16]}+{RunFolder.Sha256File(spec.GoldenSetPath)[..16]}";

    /// <summary>Golden cases of the spec's set.</summary>
    public static int GoldenCases(Hone.Evals.Specs.EvalSpec spec) => File.ReadLines(spec.GoldenSetPath).Count(l => !string.IsNullOrWhiteSpace(l));

    /// <summary>Measures the probe and prints the estimate (unless --json).</summary>
    public StudyEstimateResult Estimate(ParseResult p, CliContext ctx, Workspace ws, RunStore store, string specPath, string folder, SftRunOptions run,
        IReadOnlyList<PlannedTrial> trials, int goldenCases, CancellationToken ct)
    {
        var probeScorer = GoldenSetScorer.For(ws, store, specPath, limit: Math.Min(4, goldenCases));
        var e = StudyEstimate.Measure(run, trials, goldenCases, probeScorer, Path.Combine(folder, "probe"), p.GetValue(Hosted)!, ct);
        if (!ctx.Json)
        {
            ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]estimate[/] {trials.Count} trial(s) to run, {e.TrainingTokens:N0} training tokens: about {Duration(e.Seconds)} on this machine " +
                $"(probe: {e.TokensPerSecond:0} tok/s, {e.SecondsPerCase:0.00} s per golden case, {e.OverheadSeconds:0.0} s per run; {e.ProbeSeconds:0.0} s)") +
                (e.HostedUsd is { } usd ? string.Create(CultureInfo.InvariantCulture, $"; as hosted fine-tunes of {Markup.Escape(e.HostedModel)} ≈ ${usd:0.00}") : ""));
        }
        return e;
    }

    /// <summary>The two-sided McNemar p-value between two trials' eval runs (paired by case).</summary>
    public static Func<TrialResult, TrialResult, double> PairedTest(RunStore store) => (a, b) =>
        a.Score.EvalRunId is { } ia && b.Score.EvalRunId is { } ib
            ? RunComparison.Compute(EvalRuns.Load(store, ia), EvalRuns.Load(store, ib), iterations: 1000).McNemarP
            : double.NaN;

    public static string Duration(double seconds) =>
        seconds < 90 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s")
        : seconds < 5400 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.0} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.0} h");

    public static object ScoreJson(Hone.Training.Loop.CheckpointScore s) => new { accuracy = s.Value, low = s.Low, high = s.High, cases = s.Cases, eval_run = s.EvalRunId };

    public static string Ci(Hone.Training.Loop.CheckpointScore s) => $"{EvalCommands.Pct(s.Low)}–{EvalCommands.Pct(s.High)}";
}
