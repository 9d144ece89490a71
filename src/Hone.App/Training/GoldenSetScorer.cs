using Hone.App.Evals;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Hone.Training.Export;
using Hone.Training.Improve;
using Hone.Training.Loop;
using Hone.Training.Runs;

namespace Hone.App.Training;

/// <summary>
/// Scores a training run's checkpoint on an eval spec's golden set: the checkpoint as a chat client
/// (<see cref="RunChatClient"/>, applied in process), run through <see cref="EvalRunner"/> (recorded in the run store as an
/// eval run of model <c>run:FOLDER@EPOCH</c>), headline accuracy with its 95% Wilson interval, an answer the graders cannot read
/// (a grader error) counted as a failure. The training loop calls it
/// after each epoch's checkpoint (<c>--eval-spec</c>); scale and sweep judge whole runs with it.
/// </summary>
public sealed class GoldenSetScorer(EvalSpec spec, RunStore store, string runsDir, int? limit = null, bool useCache = true) : ITimedCheckpointScorer
{
    /// <summary>The eval spec whose golden set scores.</summary>
    public EvalSpec Spec => spec;

    /// <summary>A scorer for the spec at <paramref name="specPath"/> in workspace <paramref name="ws"/>.</summary>
    public static GoldenSetScorer For(Workspace ws, RunStore store, string specPath, int? limit = null, bool useCache = true) =>
        new(EvalWorkspace.LoadSpec(specPath, EvalWorkspace.Resolver(ws, null, store)), store, ws.RunsDir, limit, useCache);

    /// <summary>
    /// <paramref name="options"/> scoring each epoch's checkpoint on <paramref name="evalSpec"/> (<c>--eval-spec</c>: a path,
    /// or a name in evals/), or unchanged when it is null; the same for every kind of run.
    /// </summary>
    /// <exception cref="UseCaseException">An eval spec outside a workspace (the scores are eval runs in its store).</exception>
    public static T Attach<T>(T options, string? evalSpec, Workspace? ws, RunStore? store, string workingDirectory, Action<string>? warn = null)
        where T : RunOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        if (evalSpec is null) return options;
        if (ws is null || store is null) throw new UseCaseException("--eval-spec needs a workspace (run 'hone init' first): the scores are eval runs in its store.");
        var specPath = EvalWorkspace.FindSpec(ws, evalSpec, workingDirectory);
        var scorer = For(ws, store, specPath);
        // The work scoring adds, said before training starts: one golden-set pass per epoch.
        int cases = File.ReadLines(scorer.Spec.GoldenSetPath).Count(l => !string.IsNullOrWhiteSpace(l));
        var epochs = options.EpochsAsked is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "each";
        warn?.Invoke($"--eval-spec: {epochs} epoch checkpoint(s) × {cases} golden cases of {scorer.Spec.Name} are generated and graded on this machine " +
            "(one pass after every epoch; the progress line shows the time left).");
        return (T)(options with { EvalSpec = specPath, Scorer = scorer });
    }

    /// <summary>The scorer a resumed run of <paramref name="folder"/> gets for the eval spec it started with.</summary>
    public static Func<string, ICheckpointScorer> ForResume(Workspace? ws, RunStore? store, string folder) => spec =>
        ws is not null && store is not null ? For(ws, store, spec)
            : throw new UseCaseException($"{folder} scores its checkpoints on {spec}: resume it inside its workspace.");

    /// <inheritdoc />
    public string Description => $"golden set of {spec.Name}";

    /// <inheritdoc />
    public double LastLoadSeconds { get; private set; }

    /// <inheritdoc />
    public int Cases
    {
        get
        {
            int cases = File.Exists(spec.GoldenSetPath) ? File.ReadLines(spec.GoldenSetPath).Count(l => !string.IsNullOrWhiteSpace(l)) : 0;
            return limit is int n ? Math.Min(n, cases) : cases;
        }
    }

    /// <summary>The eval run's result for the checkpoint of <paramref name="epoch"/> (null: best, else newest; -1 newest).</summary>
    public EvalRunResult Evaluate(string runFolder, int? epoch, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var client = RunChatClient.Load(runFolder, epoch);
        LastLoadSeconds = clock.Elapsed.TotalSeconds;
        var options = new EvalRunOptions
        {
            Spec = spec,
            Model = "run:" + runFolder + (epoch switch { null => "", -1 => "@last", var e => "@" + e.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            Limit = limit,
            UseCache = useCache,
        };
        options.Validate();
        return new EvalRunner(store, runsDir).RunAsync(options, client, null, ct).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken)
    {
        var r = Evaluate(runFolder, epoch, cancellationToken);
        var s = r.Summary;
        if (s.ModelErrors > 0)
            throw new UseCaseException($"Scoring epoch {epoch} of {runFolder} on {spec.Name}: {s.ModelErrors} model calls failed; 'hone eval' shows them.");
        // An answer the graders cannot read (e.g. not JSON for a JSON grader) is the checkpoint's failure, not a case left out.
        int n = s.Graded + s.GraderErrors;
        double accuracy = n == 0 ? 0 : (double)s.Passed / n;
        var ci = Hone.Evals.Compare.EvalStatistics.Wilson(accuracy, n);
        return new CheckpointScore(accuracy, ci.Low, ci.High, n, r.Run.Id);
    }
}
