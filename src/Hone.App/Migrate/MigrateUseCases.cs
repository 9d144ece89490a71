using Hone.Migrate;
using Hone.Migrate.Capture;
using Hone.Migrate.Plan;
using Hone.Migrate.Report;
using Hone.Migrate.Run;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.App.Migrate;

/// <summary>Where a migration lives: the working directory (its workspace) and the migration folder, relative to the workspace root.</summary>
/// <param name="WorkingDirectory">Where the workspace is found.</param>
/// <param name="Dir">The migration folder (default <c>migrate</c>).</param>
public sealed record MigratePlace(string WorkingDirectory, string Dir = "migrate")
{
    /// <summary>The workspace and the migration folder.</summary>
    public (Workspace Workspace, MigrationFolder Folder) Open()
    {
        var ws = Workspace.Require(WorkingDirectory);
        return (ws, new MigrationFolder(Path.GetFullPath(Path.Combine(ws.Root, Dir))));
    }
}

/// <summary>What <see cref="MigrateCapture"/> is asked.</summary>
public sealed record MigrateCaptureRequest
{
    /// <summary>Where.</summary>
    public required MigratePlace Place { get; init; }

    /// <summary>Provider, model, production sampling settings, limits, prices.</summary>
    public required CaptureOptions Options { get; init; }

    /// <summary>Input files (resolved paths).</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>Pull the fine-tuning files and jobs first.</summary>
    public bool Pull { get; init; }

    /// <summary>Use the pulled training files' prompts as inputs.</summary>
    public bool FromFiles { get; init; }

    /// <summary>Estimate (and pull) only.</summary>
    public bool DryRun { get; init; }

    /// <summary>Refuse when the estimate is above this many dollars.</summary>
    public decimal? MaxUsd { get; init; }
}

/// <summary>The result of <see cref="MigrateCapture"/> (its <c>--json</c> document).</summary>
/// <param name="Estimate">The estimate made before anything was sent.</param>
/// <param name="Result">What the capture did (null on a dry run).</param>
/// <param name="Pulled">What was pulled through the fine-tuning API, when asked.</param>
/// <param name="Capture">The capture file.</param>
/// <param name="DryRun">Whether only the estimate was made.</param>
public sealed record MigrateCaptureResponse(CaptureEstimate Estimate, CaptureResult? Result, PullResult? Pulled, string Capture, bool DryRun)
{
    /// <summary>Some cases failed after retries (a new capture retries them).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasProblems => Result is { Errors: > 0 };
}

/// <summary>Use case "capture a hosted model": pull when asked, estimate, then record its answers (resumable, cached, rate-limited).</summary>
public static class MigrateCapture
{
    /// <summary>Runs the request; <paramref name="onEstimate"/> sees the estimate (and the pull) before any chat request is sent.</summary>
    public static async Task<MigrateCaptureResponse> RunAsync(MigrateCaptureRequest request, Action<CaptureEstimate, PullResult?>? onEstimate,
        IProgress<int>? progress, CancellationToken ct, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (ws, folder) = request.Place.Open();
        var session = await CaptureSession.PrepareAsync(ws, new CaptureRequest(folder.Root, request.Options, request.Inputs, request.Pull, request.FromFiles),
            environment, cancellationToken: ct).ConfigureAwait(false);
        onEstimate?.Invoke(session.Estimate, session.Pulled);
        if (request.MaxUsd is { } max && session.Estimate.CostUsd is { } est && est > max)
            throw new UseCaseException($"The estimate (${est:0.####}) is above --max-usd {max}; raise it or capture fewer inputs.");
        if (request.DryRun) return new MigrateCaptureResponse(session.Estimate, null, session.Pulled, folder.CaptureFile, true);
        using var store = ws.OpenStore();
        var result = await session.RunAsync(store, progress, ct).ConfigureAwait(false);
        return new MigrateCaptureResponse(session.Estimate, result, session.Pulled, folder.CaptureFile, false);
    }
}

/// <summary>What <see cref="MigratePlan"/> is asked: where, and the plan's options (no candidate folders: the workspace's <c>models/</c>).</summary>
public sealed record MigratePlanRequest(MigratePlace Place, PlanOptions Options);

/// <summary>Use case "plan the migration".</summary>
public static class MigratePlan
{
    /// <summary>Runs the request.</summary>
    public static MigrationPlan Run(MigratePlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (ws, folder) = request.Place.Open();
        var options = request.Options.Candidates.Count > 0 ? request.Options : request.Options with { Candidates = [Path.Combine(ws.Root, "models")] };
        return Planner.Plan(folder, options);
    }
}

/// <summary>What <see cref="MigrateRun"/> is asked.</summary>
public sealed record MigrateRunRequest(MigratePlace Place, MigrateRunOptions Options);

/// <summary>
/// What <c>hone migrate run</c> is given, as given (the method's name, the budget in minutes; paths resolved);
/// <see cref="ToRequest"/> reads it into a <see cref="MigrateRunRequest"/> once.
/// </summary>
/// <param name="Place">Where.</param>
public sealed record MigrateRunArgs(MigratePlace Place)
{
    /// <summary>The open base model (null: the plan's choice).</summary>
    public string? Model { get; init; }

    /// <summary>A tokenizer for a model without one beside it.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A built-in chat template for a model without one.</summary>
    public string? Template { get; init; }

    /// <summary><c>full</c> or <c>lora</c>.</summary>
    public string Method { get; init; } = "full";

    /// <summary>Epochs per round (null: the plan's).</summary>
    public int? Epochs { get; init; }

    /// <summary>Examples per optimiser step.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Learning rate = the method's base × this.</summary>
    public double LrMultiplier { get; init; } = 1;

    /// <summary>Held-out agreement to stop at (null: the plan's).</summary>
    public double? Target { get; init; }

    /// <summary>Most rounds.</summary>
    public int MaxRounds { get; init; } = 3;

    /// <summary>No new round starts after this many minutes.</summary>
    public double BudgetMinutes { get; init; } = 60;

    /// <summary>New inputs the hosted model writes and answers per failing training case between rounds (0: none).</summary>
    public int Synthesize { get; init; }

    /// <summary>DPO after SFT on pairs where the open model's answer lost.</summary>
    public bool Dpo { get; init; }

    /// <summary>Training seed.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Engine threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The request; an unknown method is a <see cref="UseCaseException"/> (the rest is checked by <see cref="MigrateRunOptions.Validate"/>).</summary>
    public MigrateRunRequest ToRequest() => new(Place, new MigrateRunOptions
    {
        Model = Model, Tokenizer = Tokenizer, Template = Template, Method = Hone.App.Training.TrainText.Method(Method), Epochs = Epochs, BatchSize = BatchSize,
        LrMultiplier = LrMultiplier, Target = Target, MaxRounds = MaxRounds, BudgetSeconds = BudgetMinutes * 60, Synthesize = Synthesize, Dpo = Dpo,
        Seed = Seed, Threads = Threads,
    });
}

/// <summary>
/// Use case "distil the capture into the open model": the loop of <see cref="MigrationRunner"/>, with model graders'
/// judges resolved from the workspace (provider:model or local:DIR) and, for synthesis, the captured hosted model as teacher.
/// </summary>
public static class MigrateRun
{
    /// <summary>Runs the request.</summary>
    public static async Task<MigrateRunResult> RunAsync(MigrateRunRequest request, IProgress<RunProgress>? progress, CancellationToken ct,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (ws, folder) = request.Place.Open();
        using var store = ws.OpenStore();
        var resolver = Hone.App.Evals.EvalWorkspace.Resolver(ws, null, store, dir => Path.GetFullPath(Path.Combine(ws.Root, dir)));
        IChatClient? teacher = null;
        string model = "";
        if (request.Options.Synthesize > 0) (teacher, model) = HostedTeacher.Open(folder, ws.Config, store, environment);
        using var owned = teacher;
        var runner = new MigrationRunner(folder, request.Options)
        {
            Judge = resolver.Resolve,
            Teacher = teacher,
            Synthesizer = teacher is null ? null : new CaseInputSynthesizer(teacher, model),
        };
        return await runner.RunAsync(store, progress, ct).ConfigureAwait(false);
    }
}

/// <summary>What <see cref="MigrateReport"/> is asked.</summary>
/// <param name="Place">Where.</param>
/// <param name="MachineUsdPerHour">The price of an hour of this machine (0: no API bill is all the "after" cost counts).</param>
public sealed record MigrateReportRequest(MigratePlace Place, decimal MachineUsdPerHour = 0);

/// <summary>The result of <see cref="MigrateReport"/>.</summary>
/// <param name="Report">The HTML report.</param>
/// <param name="Json">The figures' JSON file.</param>
/// <param name="Figures">The figures.</param>
public sealed record MigrateReportResponse(string Report, string Json, ReportData Figures);

/// <summary>Use case "report the migration".</summary>
public static class MigrateReport
{
    /// <summary>Runs the request.</summary>
    public static MigrateReportResponse Run(MigrateReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (_, folder) = request.Place.Open();
        if (request.MachineUsdPerHour < 0) throw new UseCaseException("--machine-usd-per-hour must be 0 or more.");
        return new MigrateReportResponse(folder.ReportHtml, folder.ReportJson, MigrationReport.Write(folder, request.MachineUsdPerHour));
    }
}
