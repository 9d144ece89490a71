using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.App.Evals;
using Hone.App.Teach;
using Hone.Data.Checks;
using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Evals.Synthesis;
using Hone.Prompting.Evaluation;
using Hone.Store;

namespace Hone.App.Data;

/// <summary>What <see cref="DataSynth"/> is asked.</summary>
public sealed record DataSynthRequest
{
    /// <summary>Where the workspace is found and relative paths are anchored.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>An eval run id (its failing cases) or an edge-case name (its failing cases in the newest run that has it).</summary>
    public required string For { get; init; }

    /// <summary>The teacher: provider:model or local:DIR.</summary>
    public required string Teacher { get; init; }

    /// <summary>Examples to keep.</summary>
    public required int Count { get; init; }

    /// <summary>The new file the kept examples go to.</summary>
    public required string Out { get; init; }

    /// <summary>A second model asked to verify each candidate, or null.</summary>
    public string? Verifier { get; init; }

    /// <summary>Existing training files the candidates must not duplicate.</summary>
    public IReadOnlyList<string> Data { get; init; } = [];

    /// <summary>Replace <see cref="Out"/> when it exists.</summary>
    public bool Force { get; init; }

    /// <summary>Only estimate: no model is called, nothing is written.</summary>
    public bool DryRun { get; init; }

    /// <summary>Run even when the estimate is above the workspace's prompting budget.</summary>
    public bool Yes { get; init; }

    /// <summary>New cases asked for in one teacher call.</summary>
    public int BatchSize { get; init; } = 5;

    /// <summary>Near-duplicate threshold (Jaccard of word 3-shingles).</summary>
    public double NearDuplicateThreshold { get; init; } = 0.8;
}

/// <summary>The result of <see cref="DataSynth"/> (its <c>--json</c> document).</summary>
/// <param name="For">The run or edge case written for.</param>
/// <param name="RunId">The eval run the failing cases came from.</param>
/// <param name="Spec">The eval spec (its prompt renders the examples, its graders check them).</param>
/// <param name="FailingCases">The failing cases written for.</param>
/// <param name="Teacher">The teacher.</param>
/// <param name="Verifier">The verifier, or null.</param>
/// <param name="Requested">Examples asked for.</param>
/// <param name="Kept">Examples kept (and written).</param>
/// <param name="Output">The file written, or null (dry run, or none kept).</param>
/// <param name="DryRun">Whether this was only the estimate.</param>
/// <param name="Estimate">The estimate shown before anything ran (teacher and verifier, nothing dropped).</param>
/// <param name="MaxTeacherCalls">Teacher calls at most (when candidates are dropped, more calls are made).</param>
/// <param name="PriceSource">Where the teacher's price came from.</param>
/// <param name="Spent">What the calls that reached a model cost (null on a dry run).</param>
/// <param name="TeacherCalls">Teacher calls made.</param>
/// <param name="VerifierCalls">Verifier calls made.</param>
/// <param name="ReplayedCalls">Calls answered from the progress file of an interrupted run.</param>
/// <param name="DroppedByCode">Dropped candidates by reason code.</param>
/// <param name="Dropped">Every dropped candidate with its exact reason.</param>
/// <param name="GradersSkipped">Grader checks that did not apply, by grader.</param>
/// <param name="ProgressFile">The progress file (deleted when the run finishes).</param>
public sealed record DataSynthResult(string For, string RunId, string Spec, IReadOnlyList<string> FailingCases, string Teacher, string? Verifier, int Requested,
    int Kept, string? Output, bool DryRun, SpendEstimate Estimate, int MaxTeacherCalls, string PriceSource, SpendActual? Spent, int TeacherCalls, int VerifierCalls,
    long ReplayedCalls, IReadOnlyDictionary<string, int> DroppedByCode, IReadOnlyList<DroppedCandidate> Dropped, IReadOnlyDictionary<string, int> GradersSkipped,
    string ProgressFile);

/// <summary>
/// Use case <c>hone data synth</c>: new training examples aimed at the failing cases of an eval run or edge case,
/// written by a teacher model and each checked before it is kept (<see cref="ExampleSynthesis"/>: data rules, golden
/// leakage and near-duplicates, the spec's graders, an optional verifier). The estimate comes first (and the
/// <c>--yes</c> rule of the prompting budget); the kept examples go to a new file, written atomically, with their
/// provenance; a killed run started again with the same request replays its paid calls from the progress file.
/// </summary>
public static class DataSynth
{
    /// <summary>Runs the request; <paramref name="onEstimate"/> sees the estimate before any model is called.</summary>
    public static async Task<DataSynthResult> RunAsync(DataSynthRequest request, Action<SpendEstimate>? onEstimate = null, IProgress<string>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var options = new ExampleSynthesisOptions
        {
            Count = request.Count, BatchSize = request.BatchSize, NearDuplicateThreshold = request.NearDuplicateThreshold,
            For = request.For, Teacher = request.Teacher, VerifierName = request.Verifier,
        }.Validate();
        if (string.IsNullOrWhiteSpace(request.Out)) throw new UseCaseException("Give --out FILE: the new file the examples go to.");
        var output = At(request.Out);
        var data = request.Data.Select(At).ToList();
        if (data.Contains(output, StringComparer.Ordinal)) throw new UseCaseException(Hone.Core.ErrorKind.Conflict, $"{output} is also given as --data; write the new examples to a new file.");
        if (File.Exists(output) && !request.Force && !request.DryRun)
            throw new UseCaseException(Hone.Core.ErrorKind.Conflict, $"{output} exists; give a new --out file (or --force to replace it).");
        foreach (var d in data)
            if (!File.Exists(d)) throw new FileNotFoundException($"{d}: --data file not found.", d);

        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var resolver = EvalWorkspace.Resolver(ws, null, store, At);
        var (runId, spec, failing) = Failing(ws, store, resolver, request.For);
        var golden = GoldenSet.Load(spec.GoldenSetPath);
        var existing = Existing(data);

        var (teacherPrice, priceSource) = ModelWork.PriceOf(request.Teacher, request.WorkingDirectory);
        var verifierPrice = request.Verifier is { } vn ? ModelWork.PriceOf(vn, request.WorkingDirectory).Price : null;
        var estimate = Estimate(spec, golden, failing, options, teacherPrice, request.Verifier is not null, verifierPrice);
        onEstimate?.Invoke(estimate);
        var progressFile = ModelWork.ProgressFile(output, "synth", JsonSerializer.Serialize(new
        {
            request.For, request.Teacher, request.Verifier, request.Count, request.BatchSize, request.NearDuplicateThreshold, spec.ContentHash, data,
        }));
        DataSynthResult Result(SynthesisOutcome? o, string? written, SpendActual? spent, long replayed) => new(request.For, runId, spec.Name,
            [.. failing.Select(f => f.Id)], request.Teacher, request.Verifier, request.Count, o?.Kept.Count ?? 0, written, request.DryRun, estimate,
            options.MaxCalls, priceSource, spent, o?.TeacherCalls ?? 0, o?.VerifierCalls ?? 0, replayed,
            o is null ? new Dictionary<string, int>() : o.Dropped.GroupBy(d => d.Code).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            o?.Dropped ?? [], o?.GradersSkipped ?? new Dictionary<string, int>(), progressFile);
        if (request.DryRun) return Result(null, null, null, 0);
        ModelWork.Gate(ws, estimate, request.Yes);

        SynthesisOutcome outcome;
        var teacherLedger = new UsageLedger();
        var verifierLedger = new UsageLedger();
        using (var journal = new FileJournalCache(progressFile))
        {
            using var teacher = ModelWork.Wrap(resolver.Resolve(request.Teacher), journal, teacherLedger, teacherPrice);
            using var verifier = request.Verifier is { } v ? ModelWork.Wrap(resolver.Resolve(v), journal, verifierLedger, verifierPrice) : null;
            var synthesis = new ExampleSynthesis(spec, new CaseSynthesizer(teacher), verifier, options);
            outcome = await synthesis.RunAsync(failing, golden, existing,
                new Progress<(int Kept, int Calls)>(p => progress?.Report($"{p.Kept}/{request.Count} kept after {p.Calls} teacher calls")), ct).ConfigureAwait(false);
            if (outcome.Kept.Count > 0)
            {
                var json = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
                Hone.Core.AtomicFile.WriteText(output, w =>
                {
                    foreach (var k in outcome.Kept) w.Write(k.ToJsonString(json) + "\n");
                });
            }
            journal.Delete();
        }
        var spent = ModelWork.Spent([(teacherLedger, teacherPrice is not null), (verifierLedger, verifierPrice is not null)], clock.Elapsed);
        var replayed = outcome.TeacherCalls + outcome.VerifierCalls - teacherLedger.Calls - verifierLedger.Calls;
        return Result(outcome, outcome.Kept.Count > 0 ? output : null, spent, Math.Max(0, replayed));
    }

    /// <summary>The failing cases of a run, or of an edge case in the newest run that has it, with the spec they came from.</summary>
    private static (string RunId, EvalSpec Spec, List<FailingCase> Failing) Failing(Workspace ws, RunStore store, ChatModelResolver resolver, string @for)
    {
        string runId;
        HashSet<string>? only = null;
        if (store.FindRun(@for) is { } run) runId = run.Id;
        else
        {
            var warnings = new List<string>();
            var (catalog, _) = EdgeCaseUseCases.Catalog(ws, store, warnings);
            var edge = catalog.FirstOrDefault(e => e.Name == @for)
                ?? throw new UseCaseException(Hone.Core.ErrorKind.NotFound, $"'{@for}' is neither an eval run nor an edge case ('hone runs --kind eval' and 'hone edge list' list them).");
            var latest = edge.Latest ?? throw new UseCaseException($"The edge case '{@for}' has no eval run yet; run 'hone eval SPEC' first.");
            (runId, only) = (latest.RunId, [.. latest.Failing]);
        }
        var cases = TeachUseCases.Cases(new TeachRequest(ws.Root, runId)); // the failing cases with their outputs and reasons
        var spec = EvalWorkspace.SpecOfRun(store.GetRun(runId), resolver);
        var golden = GoldenSet.Load(spec.GoldenSetPath).ToDictionary(c => c.Id, StringComparer.Ordinal);
        var failing = cases.Cases.Where(c => only is null || only.Contains(c.CaseId)).DistinctBy(c => c.CaseId)
            .Where(c => golden.ContainsKey(c.CaseId))
            .Select(c => new FailingCase(c.CaseId, golden[c.CaseId].Item, golden[c.CaseId].Tags, c.Output, c.Reason.Length == 0 ? null : c.Reason)).ToList();
        if (failing.Count == 0)
            throw new UseCaseException($"'{@for}' has no failing case of the golden set {spec.GoldenSetPath} to write for (run {runId}).");
        return (runId, spec, failing);
    }

    /// <summary>The existing examples, named file:line (lines that are not JSON objects are left to <c>hone data check</c>).</summary>
    private static List<ScreenReference> Existing(IReadOnlyList<string> files)
    {
        var list = new List<ScreenReference>();
        foreach (var f in files)
        {
            int line = 0;
            foreach (var text in File.ReadLines(f))
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object) list.Add(new ScreenReference($"{Path.GetFileName(f)}:{line}", doc.RootElement.Clone()));
                }
                catch (JsonException) { }
            }
        }
        return list;
    }

    /// <summary>Calls and tokens when nothing is dropped: the teacher's prompts as they will be sent, each answer about a case per example; the verifier once per example.</summary>
    private static SpendEstimate Estimate(EvalSpec spec, IReadOnlyList<GoldenCase> golden, IReadOnlyList<FailingCase> failing, ExampleSynthesisOptions o,
        ModelPrice? teacherPrice, bool verify, ModelPrice? verifierPrice)
    {
        int calls = ExampleSynthesisOptions.Calls(o.Count, o.BatchSize);
        var shown = failing.Take(o.CasesPerPrompt).ToList();
        var prompt = CaseSynthesizer.Prompt(shown, Math.Min(o.BatchSize, o.Count));
        long caseTokens = failing.Sum(f => ModelWork.Tokens(f.Item.GetRawText())) / failing.Count;
        var teacher = SpendEstimator.Build(calls, calls * (ModelWork.Tokens(prompt.System) + ModelWork.Tokens(prompt.User)), o.Count * caseTokens, teacherPrice, 1);
        if (!verify) return teacher;
        long exampleTokens = golden.Sum(g => ModelWork.Tokens(g.Item.GetRawText())) / golden.Count + ModelWork.Tokens(spec.Prompt.System ?? "");
        return teacher.Plus(SpendEstimator.Build(o.Count, o.Count * (ModelWork.Tokens(ExampleSynthesis.VerifierInstruction) + exampleTokens), o.Count * 16, verifierPrice, 1));
    }
}
