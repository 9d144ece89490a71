using Hone.Evals.Compare;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;

namespace Hone.Prompting.Techniques;

/// <summary>What <c>hone prompt variants</c> runs.</summary>
/// <param name="Prompt">The prompt (its direct form is the reference).</param>
/// <param name="Cases">The golden cases.</param>
/// <param name="UserVariants">Prompt or chain files the user wrote, compared too.</param>
/// <param name="BuiltIns">Which built-in variants to run (default all of <see cref="VariantBuilder.Names"/>).</param>
/// <param name="Seed">The bootstrap seed.</param>
public sealed record VariantsRequest(PromptFile Prompt, IReadOnlyList<GoldenCase> Cases, IReadOnlyList<PromptFile> UserVariants, IReadOnlyList<string>? BuiltIns = null,
    int Seed = 0)
{
    /// <summary>The variants in order: built-ins (direct first), then the user's.</summary>
    public IReadOnlyList<(PromptFile File, string Kind)> Variants() =>
        [.. (BuiltIns ?? VariantBuilder.Names).Prepend("direct").Distinct(StringComparer.Ordinal).Select(n => (VariantBuilder.Build(Prompt, n), "built-in")),
         .. UserVariants.Select(u => (u, "user"))];
}

/// <summary>One variant's row.</summary>
/// <param name="Name">The variant.</param>
/// <param name="Kind">built-in or user.</param>
/// <param name="CallsPerCase">Model calls per case (without tool rounds).</param>
/// <param name="Passed">Graded cases passed.</param>
/// <param name="Graded">Graded cases.</param>
/// <param name="Accuracy">Passed / graded.</param>
/// <param name="Wilson">Its 95% Wilson interval.</param>
/// <param name="InputTokensPerCase">Prompt tokens per case.</param>
/// <param name="OutputTokensPerCase">Completion tokens per case.</param>
/// <param name="CostPerCase">Dollars per case (uncached) when a price is known.</param>
/// <param name="LatencyMsPerCase">Latency per case.</param>
/// <param name="VsDirect">The paired comparison against direct (null for direct).</param>
public sealed record VariantRow(string Name, string Kind, int CallsPerCase, int Passed, int Graded, double Accuracy, Interval Wilson, double InputTokensPerCase,
    double OutputTokensPerCase, decimal? CostPerCase, double LatencyMsPerCase, PairedComparison? VsDirect);

/// <summary>The result of <c>hone prompt variants</c>.</summary>
/// <param name="Prompt">The prompt's name.</param>
/// <param name="Cases">Golden cases.</param>
/// <param name="Variants">One row per variant, direct first.</param>
/// <param name="MostAccurate">The variant with the highest accuracy (cheaper first on ties).</param>
/// <param name="Recommended">The cheapest variant not significantly worse than the most accurate one.</param>
/// <param name="Reason">Why it is recommended, in words.</param>
/// <param name="CostMeasure">What "cheapest" compared: dollars per case, or tokens per case without a price.</param>
/// <param name="Spent">What the run spent.</param>
public sealed record VariantsResult(string Prompt, int Cases, IReadOnlyList<VariantRow> Variants, string MostAccurate, string Recommended, string Reason,
    string CostMeasure, SpendActual Spent);

/// <summary>
/// <c>hone prompt variants</c>: runs each variant on the golden set, compares each with direct (paired: McNemar exact
/// p, bootstrap interval of the difference, flips both ways, cost per case), and names the cheapest variant that is
/// not significantly worse than the most accurate one: direct when nothing beats it significantly.
/// </summary>
public static class Variants
{
    /// <summary>The estimate of <paramref name="request"/>.</summary>
    public static SpendEstimate Estimate(VariantsRequest request, PromptEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        return request.Variants().Select(v => SpendEstimator.Of(new PromptProgram(v.File), request.Cases, evaluator.Spec.Price, 4))
            .Aggregate((a, b) => a.Plus(b));
    }

    /// <summary>Runs the comparison.</summary>
    public static async Task<VariantsResult> RunAsync(VariantsRequest request, PromptEvaluator evaluator, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<(CandidateRun Run, string Kind, int Calls)>();
        foreach (var (file, kind) in request.Variants())
        {
            progress?.Report($"variant {file.Name}");
            runs.Add((await evaluator.EvaluateAsync(file.Name, new PromptProgram(file, evaluator.Spec.GoldenSetPath), request.Cases, 0, ct).ConfigureAwait(false),
                kind, VariantBuilder.CallsPerCase(file)));
        }
        var direct = runs[0].Run;
        var rows = runs.Select(r => new VariantRow(r.Run.Name, r.Kind, r.Calls, r.Run.Passed, r.Run.Graded, r.Run.Accuracy,
            EvalStatistics.Wilson(r.Run.Accuracy, r.Run.Graded), r.Run.InputTokensPerCase, r.Run.OutputTokensPerCase, r.Run.CostPerCase, r.Run.LatencyMsPerCase,
            ReferenceEquals(r.Run, direct) ? null : PairedComparison.Of(direct, r.Run, request.Seed))).ToList();
        bool priced = rows.All(r => r.CostPerCase is not null);
        double Cost(VariantRow r) => priced ? (double)r.CostPerCase!.Value : r.InputTokensPerCase + r.OutputTokensPerCase;
        var best = rows.OrderByDescending(r => r.Accuracy).ThenBy(Cost).First();
        var bestRun = runs.First(r => r.Run.Name == best.Name).Run;
        var notWorse = rows.Where(r => r == best || !PairedComparison.Of(bestRun, runs.First(x => x.Run.Name == r.Name).Run, request.Seed).SignificantLoss).ToList();
        var pick = notWorse.OrderBy(Cost).ThenByDescending(r => r.Accuracy).First();
        var reason = pick == best && rows.Any(r => Cost(r) < Cost(best))
            ? $"{pick.Name} is the most accurate ({pick.Accuracy:P1}); every cheaper variant is significantly worse (McNemar p < {PairedComparison.Alpha})."
            : pick == best ? $"{pick.Name} is the most accurate ({pick.Accuracy:P1}) and the cheapest."
            : $"{pick.Name} ({pick.Accuracy:P1}) is not significantly worse than the most accurate, {best.Name} ({best.Accuracy:P1}), and costs less per case.";
        return new VariantsResult(request.Prompt.Name, request.Cases.Count, rows, best.Name, pick.Name, reason, priced ? "dollars per case" : "tokens per case",
            SpendActual.Of(evaluator.Ledger, evaluator.Spec.Price is not null, clock.Elapsed));
    }
}
