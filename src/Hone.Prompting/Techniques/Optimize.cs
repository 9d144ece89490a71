using System.Text.Json.Serialization;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Techniques;

/// <summary>What <c>hone prompt optimize</c> runs.</summary>
public sealed record OptimizeRequest
{
    /// <summary>The starting prompt (a single prompt).</summary>
    public required PromptFile Prompt { get; init; }

    /// <summary>The golden cases (split into fit, select and test).</summary>
    public required IReadOnlyList<GoldenCase> Cases { get; init; }

    /// <summary>Seeds the split and the meta-model's proposals.</summary>
    public int Seed { get; init; }

    /// <summary>The select accuracy that ends the search (default 1).</summary>
    public double Target { get; init; } = 1;

    /// <summary>Rounds of proposals at most.</summary>
    public int MaxRounds { get; init; } = 4;

    /// <summary>Proposals per round.</summary>
    public int ProposalsPerRound { get; init; } = 2;

    /// <summary>Rounds without a better candidate before the search stops (the limit of prompting).</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Paid model calls at most (the test part's evaluation is reserved within it).</summary>
    public long? MaxCalls { get; init; }

    /// <summary>Dollars at most.</summary>
    public decimal? MaxUsd { get; init; }

    /// <summary>Failing fit cases shown to the meta-model per proposal.</summary>
    public int MaxFailuresShown { get; init; } = 12;

    /// <summary>The fit fraction.</summary>
    public double FitFraction { get; init; } = 0.5;

    /// <summary>The select fraction (the rest is the test part).</summary>
    public double SelectFraction { get; init; } = 0.25;

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (Prompt.IsChain) throw new ArgumentException("optimize rewrites a single prompt; give one of the chain's prompt files.", nameof(Prompt));
        if (Target is <= 0 or > 1) throw new ArgumentException($"--target must be in (0, 1]; got {Target}.", nameof(Target));
        if (MaxRounds is < 1 or > 50) throw new ArgumentException($"--rounds must be from 1 to 50; got {MaxRounds}.", nameof(MaxRounds));
        if (ProposalsPerRound is < 1 or > 16) throw new ArgumentException($"--proposals must be from 1 to 16; got {ProposalsPerRound}.", nameof(ProposalsPerRound));
        if (Patience < 1) throw new ArgumentException($"--patience must be at least 1; got {Patience}.", nameof(Patience));
        if (MaxCalls is < 1 || MaxUsd is < 0) throw new ArgumentException("--max-calls must be at least 1 and --max-usd at least 0.", nameof(MaxCalls));
    }
}

/// <summary>How the search ended.</summary>
public enum OptimizeVerdict
{
    /// <summary>A candidate reached the target on the select part.</summary>
    TargetReached,

    /// <summary>Calls, dollars or rounds ran out while candidates were still improving.</summary>
    BudgetExhausted,

    /// <summary>Prompting has reached its limit: rounds of proposals stopped finding a better prompt.</summary>
    LimitReached,
}

/// <summary>One evaluated candidate.</summary>
/// <param name="Name">Its name (<c>start</c>, <c>r1p2</c>, ...).</param>
/// <param name="Round">The round it was proposed in (0 for the start).</param>
/// <param name="FitAccuracy">Accuracy on the fit part.</param>
/// <param name="SelectAccuracy">Accuracy on the select part.</param>
/// <param name="Explanation">The meta-model's explanation.</param>
/// <param name="Kept">True when it became the best so far.</param>
public sealed record CandidateScore(string Name, int Round, double FitAccuracy, double SelectAccuracy, string Explanation, bool Kept);

/// <summary>A proposal the guards rejected.</summary>
/// <param name="Round">Its round.</param>
/// <param name="Name">Its name.</param>
/// <param name="Reason">Why.</param>
/// <param name="Detail">The evidence.</param>
public sealed record RejectedProposal(int Round, string Name, RejectReason Reason, string Detail);

/// <summary>The evidence behind the verdict.</summary>
/// <param name="FailedByEveryCandidate">Select cases no candidate got right.</param>
/// <param name="PoolCeiling">Share of select cases some candidate got right: the best any choice among them could do.</param>
/// <param name="BestSelect">The best candidate's select accuracy.</param>
/// <param name="FitSelectGap">The best candidate's fit accuracy minus its select accuracy (large: it fits the shown failures, not the task).</param>
/// <param name="RoundsWithoutGain">Rounds at the end that found nothing better.</param>
public sealed record OptimizeEvidence(IReadOnlyList<string> FailedByEveryCandidate, double PoolCeiling, double BestSelect, double FitSelectGap, int RoundsWithoutGain);

/// <summary>The result of <c>hone prompt optimize</c>.</summary>
public sealed record OptimizeResult
{
    /// <summary>The starting prompt's name.</summary>
    public required string Prompt { get; init; }

    /// <summary>The split's seal and sizes.</summary>
    public required string Seal { get; init; }

    /// <summary>Cases in the fit, select and test parts.</summary>
    public required IReadOnlyList<int> SplitSizes { get; init; }

    /// <summary>Every evaluated candidate, in order.</summary>
    public required IReadOnlyList<CandidateScore> Candidates { get; init; }

    /// <summary>Every rejected proposal with its reason.</summary>
    public required IReadOnlyList<RejectedProposal> Rejected { get; init; }

    /// <summary>The best candidate's name.</summary>
    public required string Best { get; init; }

    /// <summary>How it ended.</summary>
    public required OptimizeVerdict Verdict { get; init; }

    /// <summary>The verdict in words, with its evidence.</summary>
    public required string VerdictText { get; init; }

    /// <summary>The evidence.</summary>
    public required OptimizeEvidence Evidence { get; init; }

    /// <summary>The start against the best on the test part, read once at the end.</summary>
    public required PairedComparison Test { get; init; }

    /// <summary>The best prompt's file text (null when the start stayed best).</summary>
    public string? BestYaml { get; init; }

    /// <summary>What it spent.</summary>
    public required SpendActual Spent { get; init; }

    /// <summary>The best prompt (not serialized).</summary>
    [JsonIgnore]
    public PromptFile? BestPrompt { get; init; }
}

/// <summary>
/// <c>hone prompt optimize</c>: propose rewrites from the best prompt's failures on the fit part (meta-model, seeded),
/// guard them, evaluate each on fit and select, keep the best by select accuracy (a strict gain), repeat; stop at the
/// target, at the budget (calls, dollars, rounds), or when <see cref="OptimizeRequest.Patience"/> rounds find nothing
/// better: prompting has reached its limit. The test part is read once, at the end, to compare start and best.
/// </summary>
public static class Optimize
{
    /// <summary>The estimate: the start on fit and select, every proposal's meta call and evaluation, and the test part twice.</summary>
    public static SpendEstimate Estimate(OptimizeRequest r, PromptEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        var split = SealedSplit.Create(r.Cases, r.Seed, r.FitFraction, r.SelectFraction);
        var start = new PromptProgram(r.Prompt);
        var candidate = SpendEstimator.Of(start, [.. split.Fit, .. split.Select], evaluator.Spec.Price, 4);
        var meta = SpendEstimator.Build(1, 4_000, 1_000, evaluator.Spec.Price, 4);
        int proposals = r.MaxRounds * r.ProposalsPerRound;
        var test = SpendEstimator.Of(start, [.. r.Cases.Take(split.TestCount)], evaluator.Spec.Price, 4).Times(2);
        return candidate.Times(1 + proposals).Plus(meta.Times(proposals)).Plus(test);
    }

    /// <summary>Runs the search. <paramref name="meta"/> is the meta-model, already wrapped by <see cref="PromptEvaluator.Wrap"/>.</summary>
    public static async Task<OptimizeResult> RunAsync(OptimizeRequest r, PromptEvaluator evaluator, IChatClient meta, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(meta);
        r.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var split = SealedSplit.Create(r.Cases, r.Seed, r.FitFraction, r.SelectFraction);
        var facts = GoldenFactsBuilder.Of(evaluator.Spec, r.Cases);
        var golden = evaluator.Spec.GoldenSetPath;
        long reserve = 2L * split.TestCount * new PromptProgram(r.Prompt).Steps;
        var pool = new List<(string Name, PromptFile File, string? Yaml, CandidateRun Fit, CandidateRun Select)>();
        var scores = new List<CandidateScore>();
        var rejected = new List<RejectedProposal>();

        bool Affordable(PromptFile f)
        {
            var e = SpendEstimator.Of(new PromptProgram(f), [.. split.Fit, .. split.Select], evaluator.Spec.Price, 1);
            var l = evaluator.Ledger;
            return (r.MaxCalls is not { } mc || l.Calls + e.Calls + reserve <= mc) && (r.MaxUsd is not { } mu || l.Cost + (e.Usd ?? 0) * (1 + 2m * split.TestCount / Math.Max(1, split.Fit.Count + split.Select.Count)) <= mu);
        }

        async Task<(CandidateRun Fit, CandidateRun Select)> Score(string name, PromptFile f)
        {
            var program = new PromptProgram(f, golden);
            var fit = await evaluator.EvaluateAsync(name, program, split.Fit, 0, ct).ConfigureAwait(false);
            var select = await evaluator.EvaluateAsync(name, program, split.Select, 0, ct).ConfigureAwait(false);
            return (fit, select);
        }

        progress?.Report("start prompt on fit and select");
        var (startFit, startSelect) = await Score("start", r.Prompt).ConfigureAwait(false);
        pool.Add(("start", r.Prompt, null, startFit, startSelect));
        scores.Add(new CandidateScore("start", 0, startFit.Accuracy, startSelect.Accuracy, "", true));
        int best = 0, stall = 0, round = 0;
        OptimizeVerdict? verdict = null;
        try
        {
            for (round = 1; round <= r.MaxRounds && verdict is null; round++)
            {
                if (pool[best].Select.Accuracy >= r.Target) { verdict = OptimizeVerdict.TargetReached; break; }
                var failing = pool[best].Fit.Results.Where(x => CandidateRun.Counts(x) && !x.Pass).Take(r.MaxFailuresShown).Select(FailureExample.Of).ToList();
                if (failing.Count == 0) { verdict = OptimizeVerdict.LimitReached; break; }
                bool gained = false;
                for (int k = 1; k <= r.ProposalsPerRound; k++)
                {
                    var name = $"r{round}p{k}";
                    if (!Affordable(pool[best].File)) { verdict = OptimizeVerdict.BudgetExhausted; break; }
                    progress?.Report($"round {round}: proposal {k}");
                    var proposal = await MetaPrompts.ProposeAsync(meta, MetaPrompts.Rewrite(pool[best].File, failing), MetaPrompts.Options(r.Seed * 1000 + round * 17 + k), ct).ConfigureAwait(false);
                    var v = ProposalGuard.Check(pool[best].File, proposal, facts, name);
                    if (v.Accepted is null)
                    {
                        rejected.Add(new RejectedProposal(round, name, v.Reason!.Value, v.Detail));
                        continue;
                    }
                    var (fit, select) = await Score(name, v.Accepted).ConfigureAwait(false);
                    bool kept = select.Accuracy > pool[best].Select.Accuracy;
                    pool.Add((name, v.Accepted, PromptFileWriter.Yaml(pool[best].File, proposal.System ?? pool[best].File.System?.Source,
                        proposal.User ?? pool[best].File.User?.Source, name), fit, select));
                    scores.Add(new CandidateScore(name, round, fit.Accuracy, select.Accuracy, proposal.Explanation, kept));
                    if (kept)
                    {
                        best = pool.Count - 1;
                        gained = true;
                    }
                }
                if (verdict is not null) break;
                stall = gained ? 0 : stall + 1;
                if (pool[best].Select.Accuracy >= r.Target) verdict = OptimizeVerdict.TargetReached;
                else if (stall >= r.Patience) verdict = OptimizeVerdict.LimitReached;
            }
        }
        catch (BudgetExhaustedException)
        {
            verdict = OptimizeVerdict.BudgetExhausted;
        }
        verdict ??= pool[best].Select.Accuracy >= r.Target ? OptimizeVerdict.TargetReached : OptimizeVerdict.BudgetExhausted;

        progress?.Report("test part (read once)");
        var test = split.OpenTest();
        var startTest = await evaluator.EvaluateAsync("start", new PromptProgram(r.Prompt, golden), test, 0, ct).ConfigureAwait(false);
        var bestTest = best == 0 ? startTest with { Name = "best" } : await evaluator.EvaluateAsync(pool[best].Name, new PromptProgram(pool[best].File, golden), test, 0, ct).ConfigureAwait(false);
        var evidence = Evidence(pool, best, stall);
        return new OptimizeResult
        {
            Prompt = r.Prompt.Name,
            Seal = split.Seal,
            SplitSizes = [split.Fit.Count, split.Select.Count, test.Count],
            Candidates = scores,
            Rejected = rejected,
            Best = pool[best].Name,
            Verdict = verdict.Value,
            VerdictText = Words(verdict.Value, evidence, pool.Count, r),
            Evidence = evidence,
            Test = PairedComparison.Of(startTest, bestTest, r.Seed),
            BestYaml = pool[best].Yaml,
            BestPrompt = pool[best].File,
            Spent = SpendActual.Of(evaluator.Ledger, evaluator.Spec.Price is not null, clock.Elapsed),
        };
    }

    private static OptimizeEvidence Evidence(List<(string Name, PromptFile File, string? Yaml, CandidateRun Fit, CandidateRun Select)> pool, int best, int stall)
    {
        var ids = pool[0].Select.Results.Select(x => x.CaseId).ToList();
        var failedByAll = ids.Where(id => pool.All(p => !p.Select.PassById.GetValueOrDefault(id))).ToList();
        double ceiling = ids.Count == 0 ? 0 : 1 - failedByAll.Count / (double)ids.Count;
        return new OptimizeEvidence(failedByAll, ceiling, pool[best].Select.Accuracy, pool[best].Fit.Accuracy - pool[best].Select.Accuracy, stall);
    }

    private static string Words(OptimizeVerdict v, OptimizeEvidence e, int candidates, OptimizeRequest r) => v switch
    {
        OptimizeVerdict.TargetReached => $"target reached: {e.BestSelect:P1} on the select part (target {r.Target:P0}).",
        OptimizeVerdict.BudgetExhausted => $"budget exhausted (calls, dollars or {r.MaxRounds} rounds) while searching; best {e.BestSelect:P1} on select. " +
            "Run the same command with a larger budget: answers so far come from the cache.",
        _ => $"prompting has reached its limit: {e.RoundsWithoutGain} rounds found no better prompt among {candidates} candidates; " +
            $"{e.FailedByEveryCandidate.Count} select cases failed under every candidate, the pool's ceiling is {e.PoolCeiling:P1} (best {e.BestSelect:P1}), " +
            $"fit−select gap {e.FitSelectGap * 100:+0.0;-0.0;0.0} points.",
    };
}
