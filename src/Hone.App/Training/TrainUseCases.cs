using System.Globalization;
using Hone.App.Evals;
using Hone.Evals.Graders.Config;
using Hone.Store;
using Hone.Training.Dpo;
using Hone.Training.Loop;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.App.Training;

/// <summary>Where a training use case runs: the working directory (its workspace, if any) and the run folder asked for.</summary>
/// <param name="WorkingDirectory">Where the workspace is looked for and relative paths are anchored.</param>
/// <param name="OutputFolder">The run folder (<c>--out</c>), or null for <c>runs/KIND-TIME</c> in the workspace.</param>
public sealed record TrainPlace(string WorkingDirectory, string? OutputFolder = null)
{
    /// <summary>The run folder of a new run of <paramref name="kind"/>.</summary>
    /// <exception cref="UseCaseException">Neither an output folder nor a workspace.</exception>
    public string NewRunFolder(Workspace? ws, string kind) =>
        OutputFolder is { } o ? Path.GetFullPath(Path.Combine(WorkingDirectory, o))
        : ws is not null ? Path.Combine(ws.RunsDir, kind + "-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))
        : throw new UseCaseException("Outside a workspace, give the run folder with --out (or run 'hone init' first).");
}

/// <summary>What <see cref="TrainSft"/> is asked: the run's options and where it runs.</summary>
public sealed record TrainSftRequest(SftRunOptions Options, TrainPlace Place)
{
    /// <summary>An eval spec (a path, or a name in evals/) whose golden set scores each epoch's checkpoint (<c>--eval-spec</c>).</summary>
    public string? EvalSpec { get; init; }

    /// <summary>Take the settings not given from the workspace's train-defaults.json (the last sweep's winner), or null: never.</summary>
    public WorkspaceTrainDefaults? Defaults { get; init; }
}

/// <summary>What <see cref="TrainDpo"/> is asked: the run's options (an SFT stage makes it sft-then-dpo) and where it runs.</summary>
public sealed record TrainDpoRequest(DpoRunOptions Options, TrainPlace Place)
{
    /// <summary>An eval spec (a path, or a name in evals/) whose golden set scores each epoch's checkpoint of the DPO stage (<c>--eval-spec</c>).</summary>
    public string? EvalSpec { get; init; }
}

/// <summary>What <see cref="TrainRft"/> is asked: the run's options (the grader file is the reward) and where it runs.</summary>
public sealed record TrainRftRequest(RftRunOptions Options, TrainPlace Place)
{
    /// <summary>An eval spec (a path, or a name in evals/) whose golden set scores each epoch's checkpoint (<c>--eval-spec</c>).</summary>
    public string? EvalSpec { get; init; }
}

/// <summary>What <see cref="TrainResume"/> is asked: a run folder or a run id of the workspace.</summary>
public sealed record TrainResumeRequest(string Run, string WorkingDirectory);

/// <summary>Use case "fine-tune with SFT": one run recorded in the workspace's store, its tuned model released.</summary>
public static class TrainSft
{
    /// <summary>Runs the request.</summary>
    public static TrainSftResponse Run(TrainSftRequest request, IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        using var store = ws?.OpenStore();
        var options = request.Options;
        if (request.Defaults is { } given && ws is not null && Hone.Training.Improve.TrainDefaults.Read(ws.Root) is { } defaults)
            options = given.Apply(options, defaults, warn);
        options = GoldenSetScorer.Attach(options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn);
        var seen = new PlanRecorder(progress);
        var r = SftRun.Start(options, request.Place.NewRunFolder(ws, SftRun.Kind), store, seen, warn, ct);
        r.Model.Dispose();
        return seen.Into(TrainSftResponse.Of(r));
    }
}

/// <summary>What <c>hone train sft|dpo|sft-then-dpo|rft --dry-run</c> says: the run's plans and what their training tokens would cost as a hosted fine-tune.</summary>
/// <param name="Plans">The plans, one per stage in order (SFT then DPO has two), the data read and fitted as a run would.</param>
/// <param name="HostedUsd">The training tokens priced as hosted fine-tunes of <paramref name="HostedModel"/> (null: not in the price table, or tokens unknown).</param>
/// <param name="HostedModel">The hosted model priced.</param>
public sealed record TrainDryRunResponse(IReadOnlyList<RunPlan> Plans, decimal? HostedUsd, string HostedModel)
{
    /// <summary>The hosted model <see cref="Of"/> prices by default (as scale and sweep do).</summary>
    public const string DefaultHostedModel = "gpt-4o-mini";

    /// <summary>The plan of the last (or only) stage.</summary>
    public RunPlan Plan => Plans[^1];

    /// <summary>The response for <paramref name="plans"/>, priced from the price table (unpriced when a stage's tokens are unknown).</summary>
    public static TrainDryRunResponse Of(IReadOnlyList<RunPlan> plans, string hostedModel = DefaultHostedModel)
    {
        ArgumentNullException.ThrowIfNull(plans);
        if (plans.Count == 0) throw new ArgumentException("A dry run has at least one plan.", nameof(plans));
        var price = Hone.Data.Cost.PriceTable.Default.Find(hostedModel);
        long? tokens = plans.Any(p => p.TrainingTokens is null) ? null : plans.Sum(p => p.TrainingTokens!.Value);
        decimal? usd = price is null || tokens is not { } t ? null : Math.Round(t * price.TrainingPer1M / 1_000_000m, 2);
        return new TrainDryRunResponse(plans, usd, price?.Model ?? hostedModel);
    }
}

/// <summary>Use case "plan an SFT run without running it" (<c>--dry-run</c>): nothing is written to the workspace or its store.</summary>
public static class PlanSft
{
    /// <summary>Plans the request.</summary>
    public static TrainDryRunResponse Run(TrainSftRequest request, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        var options = request.Options;
        if (request.Defaults is { } given && ws is not null && Hone.Training.Improve.TrainDefaults.Read(ws.Root) is { } defaults)
            options = given.Apply(options, defaults, warn);
        if (request.EvalSpec is null) return TrainDryRunResponse.Of([SftRun.Plan(options, warn)]);
        using var store = ws?.OpenStore();
        return TrainDryRunResponse.Of([SftRun.Plan(GoldenSetScorer.Attach(options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn), warn)]);
    }
}

/// <summary>Use case "fine-tune with DPO" (or SFT then DPO).</summary>
public static class TrainDpo
{
    /// <summary>Runs the request.</summary>
    public static TrainDpoResponse Run(TrainDpoRequest request, IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        using var store = ws?.OpenStore();
        var kind = request.Options.SftStage is null ? DpoRun.Kind : DpoRun.TwoStageKind;
        var options = GoldenSetScorer.Attach(request.Options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn);
        var seen = new PlanRecorder(progress);
        var r = DpoRun.Start(options, request.Place.NewRunFolder(ws, kind), store, seen, warn, ct);
        r.Model.Dispose();
        return seen.Into(TrainDpoResponse.Of(r));
    }
}

/// <summary>Use case "plan a DPO (or SFT then DPO) run without running it" (<c>--dry-run</c>): nothing is written.</summary>
public static class PlanDpo
{
    /// <summary>Plans the request.</summary>
    public static TrainDryRunResponse Run(TrainDpoRequest request, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        using var store = request.EvalSpec is null ? null : ws?.OpenStore();
        return TrainDryRunResponse.Of(DpoRun.Plan(GoldenSetScorer.Attach(request.Options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn), warn));
    }
}

/// <summary>Use case "reinforcement fine-tuning" with graders as the reward.</summary>
public static class TrainRft
{
    /// <summary>The most samples of a group run through the engine at once.</summary>
    public const int MaxMicroBatch = 16;

    /// <summary>Runs the request; a micro-batch is one group of samples (at most <see cref="MaxMicroBatch"/>).</summary>
    public static TrainRftResponse Run(TrainRftRequest request, IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        using var store = ws?.OpenStore();
        var o = GoldenSetScorer.Attach(request.Options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn);
        o = o with { Trainer = o.Trainer with { MicroBatchSize = Math.Clamp(o.Trainer.SamplesPerPrompt, 1, MaxMicroBatch) } };
        var seen = new PlanRecorder(progress);
        var r = RftRun.Start(o, RewardLoader(ws, o.Template), request.Place.NewRunFolder(ws, RftRun.Kind), store, seen, warn, ct);
        return seen.Into(TrainRftResponse.Of(r));
    }

    /// <summary>Builds the reward from a grader file; model graders use the workspace's providers (or <c>local:DIR</c>).</summary>
    public static Func<string, IRewardFunction> RewardLoader(Workspace? ws, string? template) => path =>
        RewardFromGraders.Load(path, ws is null ? GraderEnvironment.None : new GraderEnvironment { JudgeClient = EvalWorkspace.Resolver(ws, template).Resolve });
}

/// <summary>Use case "plan an RFT run without running it" (<c>--dry-run</c>): the grader file is loaded, nothing is sampled or written.</summary>
public static class PlanRft
{
    /// <summary>Plans the request (unpriced: RFT's training tokens are sampled during the run).</summary>
    public static TrainDryRunResponse Run(TrainRftRequest request, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.Place.WorkingDirectory);
        using var store = request.EvalSpec is null ? null : ws?.OpenStore();
        var o = GoldenSetScorer.Attach(request.Options, request.EvalSpec, ws, store, request.Place.WorkingDirectory, warn);
        return TrainDryRunResponse.Of([RftRun.Plan(o, TrainRft.RewardLoader(ws, o.Template), warn)]);
    }
}

/// <summary>Use case "resume a killed training run" from its last checkpoint, with the options it started with.</summary>
public static class TrainResume
{
    /// <summary>Resumes the run; the response's type follows the run's kind.</summary>
    public static TrainResponse Run(TrainResumeRequest request, IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.WorkingDirectory);
        using var store = ws?.OpenStore();
        var asPath = Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.Run));
        var folder = Directory.Exists(asPath) ? asPath
            : store?.FindRun(request.Run)?.Folder ?? throw new UseCaseException($"'{request.Run}' is neither a run folder nor a run id of this workspace.");
        var seen = new PlanRecorder(progress);
        switch (RunKind(folder))
        {
            case SftRun.Kind:
                var sft = SftRun.Resume(folder, store, seen, warn, GoldenSetScorer.ForResume(ws, store, folder), ct);
                sft.Model.Dispose();
                return seen.Into(TrainSftResponse.Of(sft));
            case DpoRun.Kind or DpoRun.TwoStageKind:
                var dpo = DpoRun.Resume(folder, store, seen, warn, GoldenSetScorer.ForResume(ws, store, folder), ct);
                dpo.Model.Dispose();
                return seen.Into(TrainDpoResponse.Of(dpo));
            case RftRun.Kind:
                return seen.Into(TrainRftResponse.Of(RftRun.Resume(folder, TrainRft.RewardLoader(ws, null), store, seen, warn, GoldenSetScorer.ForResume(ws, store, folder), ct)));
            case var other:
                throw new UseCaseException($"{folder}: runs of kind '{other}' cannot be resumed by this Hone.");
        }
    }

    /// <summary>The kind a run folder's manifest records (sft, dpo, sft-then-dpo, rft).</summary>
    public static string RunKind(string folder)
    {
        var manifest = Path.Combine(folder, RunFolder.ManifestFile);
        if (!File.Exists(manifest)) throw new UseCaseException($"{folder} has no {RunFolder.ManifestFile}: it is not a Hone training run folder.");
        return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))?["kind"]?.GetValue<string>()
            ?? throw new UseCaseException($"{manifest} records no run kind.");
    }
}

/// <summary>Passes a run's progress on and keeps the plans and estimates the training loop reports, for the response.</summary>
internal sealed class PlanRecorder(IProgress<TrainingProgress>? inner) : IProgress<TrainingProgress>
{
    private readonly List<RunPlan> _plans = [];
    private readonly List<RunEstimate> _estimates = [];

    public void Report(TrainingProgress value)
    {
        if (value.Plan is { } plan) _plans.Add(plan);
        if (value.Estimate is { } estimate) _estimates.Add(estimate);
        inner?.Report(value);
    }

    /// <summary><paramref name="response"/> with the plans and estimates seen.</summary>
    public T Into<T>(T response) where T : TrainResponse => response with { Plans = [.. _plans], Estimates = [.. _estimates] };
}
