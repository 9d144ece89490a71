using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Techniques;

/// <summary>What <c>hone prompt debug</c> runs.</summary>
/// <param name="Prompt">The prompt that failed (a single prompt).</param>
/// <param name="Run">The eval run's samples.</param>
/// <param name="RunId">The run's id.</param>
/// <param name="Cases">The golden cases of the run's spec.</param>
/// <param name="Seed">Seeds the shown / held-out split and the meta-model.</param>
/// <param name="HeldOutFraction">The share of cases held out to judge the rewrite (never shown to the meta-model).</param>
/// <param name="MustPassTag">Cases with this tag must not regress.</param>
/// <param name="MaxFailuresShown">Failures shown to the meta-model.</param>
public sealed record DebugRequest(PromptFile Prompt, IReadOnlyList<CaseResult> Run, string RunId, IReadOnlyList<GoldenCase> Cases, int Seed = 0,
    double HeldOutFraction = 0.5, string MustPassTag = "must-pass", int MaxFailuresShown = 12);

/// <summary>The result of <c>hone prompt debug</c>.</summary>
public sealed record DebugResult
{
    /// <summary>The prompt.</summary>
    public required string Prompt { get; init; }

    /// <summary>The eval run whose failures were used.</summary>
    public required string RunId { get; init; }

    /// <summary>Failures shown to the meta-model (from the shown part only).</summary>
    public required int FailuresShown { get; init; }

    /// <summary>Cases held out to judge the rewrite.</summary>
    public required int HeldOutCases { get; init; }

    /// <summary>The meta-model's explanation of the failures.</summary>
    public string Explanation { get; init; } = "";

    /// <summary>Why the proposal was rejected by the guards, or null.</summary>
    public RejectedProposal? Rejected { get; init; }

    /// <summary>Original against rewrite on the held-out part (null when nothing was evaluated).</summary>
    public PairedComparison? HeldOut { get; init; }

    /// <summary>Cases tagged must-pass that were evaluated.</summary>
    public IReadOnlyList<string> MustPassCases { get; init; } = [];

    /// <summary>Must-pass cases the original passed and the rewrite fails.</summary>
    public IReadOnlyList<string> MustPassRegressions { get; init; } = [];

    /// <summary>True when the rewrite is adopted: a significant paired gain on the held-out part and no must-pass regression.</summary>
    public bool Adopted { get; init; }

    /// <summary>The decision in words.</summary>
    public required string Why { get; init; }

    /// <summary>The rewrite's file text (null when rejected by a guard or not made).</summary>
    public string? RewriteYaml { get; init; }

    /// <summary>What it spent.</summary>
    public required SpendActual Spent { get; init; }

    /// <summary>The rewrite (not serialized).</summary>
    [JsonIgnore]
    public PromptFile? Rewrite { get; init; }
}

/// <summary>
/// <c>hone prompt debug P --run RUN</c>: the failing cases of an eval run (from a seeded shown part) go to the
/// meta-model, which explains them and proposes a rewrite; the guarded rewrite and the original are evaluated on the
/// held-out part (and on every must-pass case), and the rewrite is adopted only with a significant paired gain
/// (McNemar p &lt; 0.05, more fixed than broken) and no regression on a must-pass case.
/// </summary>
public static class Debug
{
    /// <summary>Splits case ids into shown and held-out by a seeded hash.</summary>
    public static (IReadOnlyList<string> Shown, IReadOnlyList<string> HeldOut) Split(IEnumerable<string> ids, int seed, double heldOut)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var order = ids.OrderBy(id => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"debug\0{seed}\0{id}"))), StringComparer.Ordinal).ToList();
        int h = Math.Clamp((int)Math.Round(order.Count * heldOut), 1, Math.Max(1, order.Count - 1));
        return (order.Skip(h).ToList(), order.Take(h).ToList());
    }

    /// <summary>The estimate: one meta call, and both prompts on the held-out and must-pass cases.</summary>
    public static SpendEstimate Estimate(DebugRequest r, PromptEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        var judged = Judged(r);
        return SpendEstimator.Of(new PromptProgram(r.Prompt), judged, evaluator.Spec.Price, 4).Times(2).Plus(SpendEstimator.Build(1, 4_000, 1_000, evaluator.Spec.Price, 1));
    }

    private static List<GoldenCase> Judged(DebugRequest r)
    {
        var (_, held) = Split(r.Run.Select(x => x.CaseId).Distinct(StringComparer.Ordinal), r.Seed, r.HeldOutFraction);
        var set = held.ToHashSet(StringComparer.Ordinal);
        return [.. r.Cases.Where(c => set.Contains(c.Id) || c.Tags.Contains(r.MustPassTag))];
    }

    /// <summary>Runs it. <paramref name="meta"/> is the meta-model, already wrapped by <see cref="PromptEvaluator.Wrap"/>.</summary>
    public static async Task<DebugResult> RunAsync(DebugRequest r, PromptEvaluator evaluator, IChatClient meta, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(meta);
        if (r.HeldOutFraction is <= 0 or >= 1) throw new ArgumentException($"--held-out must be between 0 and 1; got {r.HeldOutFraction}.", nameof(r));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var known = r.Cases.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var (shown, held) = Split(r.Run.Select(x => x.CaseId).Where(known.Contains).Distinct(StringComparer.Ordinal), r.Seed, r.HeldOutFraction);
        var shownSet = shown.ToHashSet(StringComparer.Ordinal);
        var failures = r.Run.Where(x => shownSet.Contains(x.CaseId) && Evaluation.CandidateRun.Counts(x) && !x.Pass).GroupBy(x => x.CaseId).Select(g => g.First())
            .Take(r.MaxFailuresShown).Select(FailureExample.Of).ToList();
        DebugResult Result(string why) => new()
        {
            Prompt = r.Prompt.Name, RunId = r.RunId, FailuresShown = failures.Count, HeldOutCases = held.Count, Why = why,
            Spent = SpendActual.Of(evaluator.Ledger, evaluator.Spec.Price is not null, clock.Elapsed),
        };
        if (failures.Count == 0) return Result($"no failing case in the shown part of run {r.RunId} ({shown.Count} cases): nothing to debug.");
        progress?.Report($"meta-model: {failures.Count} failures");
        var proposal = await MetaPrompts.ProposeAsync(meta, MetaPrompts.Rewrite(r.Prompt, failures), MetaPrompts.Options(r.Seed, 0.2), ct).ConfigureAwait(false);
        var verdict = ProposalGuard.Check(r.Prompt, proposal, GoldenFactsBuilder.Of(evaluator.Spec, r.Cases), r.Prompt.Name + ".debugged");
        if (verdict.Accepted is not { } rewrite)
            return Result($"the rewrite was rejected ({verdict.Reason}): {verdict.Detail}; the prompt is unchanged.") with
            {
                Explanation = proposal.Explanation, Rejected = new RejectedProposal(1, "rewrite", verdict.Reason!.Value, verdict.Detail),
            };
        var heldSet = held.ToHashSet(StringComparer.Ordinal);
        var judged = r.Cases.Where(c => heldSet.Contains(c.Id) || c.Tags.Contains(r.MustPassTag)).ToList();
        progress?.Report($"original and rewrite on {judged.Count} held-out and must-pass cases");
        var before = await evaluator.EvaluateAsync("original", new PromptProgram(r.Prompt, evaluator.Spec.GoldenSetPath), judged, 0, ct).ConfigureAwait(false);
        var after = await evaluator.EvaluateAsync("rewrite", new PromptProgram(rewrite, evaluator.Spec.GoldenSetPath), judged, 0, ct).ConfigureAwait(false);
        var gain = PairedComparison.Of(Only(before, heldSet), Only(after, heldSet), r.Seed);
        var mustPass = judged.Where(c => c.Tags.Contains(r.MustPassTag)).Select(c => c.Id).ToList();
        var regressions = mustPass.Where(id => before.PassById.GetValueOrDefault(id) && !after.PassById.GetValueOrDefault(id)).ToList();
        bool adopted = gain.SignificantGain && regressions.Count == 0;
        var why = adopted
            ? $"adopted: {gain.WrongToRight.Count} held-out cases fixed, {gain.RightToWrong.Count} broken (McNemar p {gain.McNemarP:0.###}), no must-pass case regressed."
            : regressions.Count > 0 ? $"not adopted: must-pass cases regressed ({string.Join(", ", regressions)})."
            : $"not adopted: no significant gain on the held-out part ({gain.AccuracyA:P1} → {gain.AccuracyB:P1}, {gain.WrongToRight.Count} fixed, {gain.RightToWrong.Count} broken, McNemar p {gain.McNemarP:0.###}).";
        return Result(why) with
        {
            Explanation = proposal.Explanation, HeldOut = gain, MustPassCases = mustPass, MustPassRegressions = regressions, Adopted = adopted, Rewrite = rewrite,
            RewriteYaml = PromptFileWriter.Yaml(r.Prompt, proposal.System ?? r.Prompt.System?.Source, proposal.User ?? r.Prompt.User?.Source, rewrite.Name,
                $"written by hone prompt debug from {r.Prompt.SourcePath} and the failures of run {r.RunId}\n{(adopted ? "adopted" : "NOT adopted")}: {why}"),
        };
    }

    private static CandidateRun Only(CandidateRun run, HashSet<string> ids) => run with { Results = [.. run.Results.Where(x => ids.Contains(x.CaseId))] };
}
