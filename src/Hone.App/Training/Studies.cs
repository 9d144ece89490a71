using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hone.App.Evals;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;
using Hone.Training.Improve;
using Hone.Training.Loop;
using Hone.Training.Sft;

namespace Hone.App.Training;

/// <summary>What <c>hone scale</c> and <c>hone sweep</c> share: the run every trial starts from, the spec that judges them, the folder, the estimate.</summary>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for (one is required).</param>
/// <param name="Run">The settings every trial shares (model, data, method, batch, seed, threads, LoRA).</param>
/// <param name="Spec">The eval spec whose golden set judges every trial (a path or a name in evals/).</param>
public sealed record StudyRequest(string WorkingDirectory, SftRunOptions Run, string Spec)
{
    /// <summary>The study folder, or null for runs/KIND-HASH of the settings (the same request resumes it).</summary>
    public string? Output { get; init; }

    /// <summary>The hosted model whose fine-tuning price the estimate quotes.</summary>
    public string HostedModel { get; init; } = "gpt-4o-mini";
}

/// <summary>A trial's golden-set score in a study's result.</summary>
/// <param name="Accuracy">The accuracy.</param>
/// <param name="Low">The interval's low end.</param>
/// <param name="High">The interval's high end.</param>
/// <param name="Cases">Golden cases scored.</param>
/// <param name="EvalRun">The eval run recorded, or null.</param>
public sealed record StudyScore(double Accuracy, double Low, double High, int Cases, string? EvalRun)
{
    /// <summary>The score of a checkpoint.</summary>
    public static StudyScore From(CheckpointScore s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Value, s.Low, s.High, s.Cases, s.EvalRunId);
    }
}

/// <summary>What a study will do, told before its estimate is measured.</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Trials">The trials (rung sizes or setting names).</param>
/// <param name="DoneBefore">Trials recorded by an earlier call, not run again.</param>
public sealed record StudyPlan(string Folder, IReadOnlyList<string> Trials, int DoneBefore);

/// <summary>A study call's time: what the probe estimated for the trials it ran, and what they took (kept in the study folder's timing.json).</summary>
/// <param name="EstimatedSeconds">The estimate told before the trials ran, or null when none was left to run.</param>
/// <param name="ActualSeconds">The wall time of the trials this call ran (the probe not included).</param>
/// <param name="Ratio">Actual over estimated, or null.</param>
/// <param name="At">When the call finished (UTC, ISO 8601).</param>
public sealed record StudyTiming(double? EstimatedSeconds, double ActualSeconds, double? Ratio, string At)
{
    /// <summary>The timing file of a study folder.</summary>
    public const string FileName = "timing.json";

    /// <summary>Appends this call's timing to the study folder's <see cref="FileName"/> (atomically; earlier calls kept).</summary>
    public static StudyTiming Record(string folder, StudyEstimateResult? estimate, double actualSeconds)
    {
        double? est = estimate?.Seconds;
        var t = new StudyTiming(est, actualSeconds, est is > 0 ? actualSeconds / est : null, DateTime.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        var path = Path.Combine(folder, FileName);
        var list = File.Exists(path) ? JsonSerializer.Deserialize<List<StudyTiming>>(File.ReadAllText(path), AppJson.Options) ?? [] : [];
        list.Add(t);
        Hone.Core.AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(list, AppJson.Options)));
        return t;
    }
}

/// <summary>The workspace, its store and the spec of a study, opened once.</summary>
internal sealed record StudySession(StudyRequest Request, Workspace Workspace, RunStore Store, string SpecPath) : IDisposable
{
    private int? _goldenCases;

    /// <summary>The spec's golden cases (the spec is loaded the first time).</summary>
    public int GoldenCases => _goldenCases ??= CountGolden();

    public static StudySession Open(StudyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        var store = ws.OpenStore();
        try
        {
            var specPath = EvalWorkspace.FindSpec(ws, request.Spec, request.WorkingDirectory);
            return new StudySession(request, ws, store, specPath);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private Hone.Evals.Specs.EvalSpec? _spec;

    private Hone.Evals.Specs.EvalSpec Spec => _spec ??= EvalWorkspace.LoadSpec(SpecPath, EvalWorkspace.Resolver(Workspace, null, Store));

    private int CountGolden() => File.ReadLines(Spec.GoldenSetPath).Count(l => !string.IsNullOrWhiteSpace(l));

    /// <summary>
    /// What judges the study's trials: the spec's path with the hash of it and of its golden set. Part of the study's
    /// identity (its settings), so a study folder is never reused with scores from another spec or golden set.
    /// </summary>
    public string Judge => $"{Path.GetFullPath(SpecPath)} sha256:{Hone.Training.Runs.RunFolder.Sha256File(SpecPath)[..16]}+{Hone.Training.Runs.RunFolder.Sha256File(Spec.GoldenSetPath)[..16]}";

    /// <summary>The output folder, else runs/KIND-HASH of the settings.</summary>
    public string Folder(string kind, object settings) =>
        Request.Output is { } o ? Path.GetFullPath(Path.Combine(Request.WorkingDirectory, o))
        : Path.Combine(Workspace.RunsDir, kind + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(settings))))[..10]);

    /// <summary>The scorer of every trial.</summary>
    public GoldenSetScorer Scorer() => GoldenSetScorer.For(Workspace, Store, SpecPath);

    /// <summary>Tells <paramref name="onPlan"/> the plan, then measures the probe for the trials still to run (null when none is left).</summary>
    public StudyEstimateResult? Plan(string folder, IReadOnlyList<string> trials, SftRunOptions run, IReadOnlyList<PlannedTrial> todo, Action<StudyPlan>? onPlan,
        CancellationToken ct)
    {
        onPlan?.Invoke(new StudyPlan(folder, trials, trials.Count - todo.Count));
        return Estimate(folder, run, todo, ct);
    }

    /// <summary>Measures the probe for the trials still to run (null when none is left).</summary>
    public StudyEstimateResult? Estimate(string folder, SftRunOptions run, IReadOnlyList<PlannedTrial> todo, CancellationToken ct)
    {
        if (todo.Count == 0) return null;
        var probeScorer = GoldenSetScorer.For(Workspace, Store, SpecPath, limit: Math.Min(StudyEstimate.ProbeCases, GoldenCases), useCache: false);
        return StudyEstimate.Measure(run, todo, GoldenCases, probeScorer, Path.Combine(folder, "probe"), Request.HostedModel, ct);
    }

    /// <summary>The two-sided McNemar p-value between two trials' eval runs (paired by case).</summary>
    public Func<TrialResult, TrialResult, double> PairedTest() => (a, b) =>
        a.Score.EvalRunId is { } ia && b.Score.EvalRunId is { } ib
            ? RunComparison.Compute(EvalRuns.Load(Store, ia), EvalRuns.Load(Store, ib), iterations: 1000).McNemarP
            : double.NaN;

    public void Dispose() => Store.Dispose();
}
