using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Techniques;

/// <summary>What <c>hone prompt best-of</c> runs.</summary>
/// <param name="Prompt">The prompt sampled.</param>
/// <param name="Cases">The golden cases.</param>
/// <param name="N">Samples per case (2–16).</param>
/// <param name="Temperature">Sampling temperature of the samples (the picker runs at 0).</param>
/// <param name="Seed">Seeds the shuffles and the bootstrap.</param>
public sealed record BestOfRequest(PromptFile Prompt, IReadOnlyList<GoldenCase> Cases, int N, double Temperature = 0.8, int Seed = 0)
{
    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (N is < 2 or > 16) throw new ArgumentException($"--n must be from 2 to 16; got {N}.", nameof(N));
        if (Temperature is <= 0 or > 2) throw new ArgumentException($"--temperature must be above 0 and at most 2 (samples at 0 are all alike); got {Temperature}.", nameof(Temperature));
    }
}

/// <summary>The result of <c>hone prompt best-of</c>.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="N">Samples per case.</param>
/// <param name="Cases">Cases whose every sample was graded.</param>
/// <param name="SelectedAccuracy">Cases whose picked sample passes.</param>
/// <param name="PickAccuracy">Among cases with a passing sample, how often the pick passes.</param>
/// <param name="CasesWithAPass">Cases with at least one passing sample.</param>
/// <param name="OraclePassAtN">Cases with a passing sample (pass@N with a perfect picker).</param>
/// <param name="RandomPick">Expected accuracy of a random pick (mean share of passing samples).</param>
/// <param name="FirstSample">Accuracy of the first sample alone.</param>
/// <param name="Gain">The pick against the first sample, paired.</param>
/// <param name="PicksByPosition">How often the picker chose each shown position (1-based order of display).</param>
/// <param name="PositionChiSquare">Chi-square of those counts against uniform.</param>
/// <param name="PositionP">Its p-value: small means the picker favours some positions (the order was shuffled).</param>
/// <param name="InvalidPicks">Picker replies that named no candidate (the first sample was taken).</param>
/// <param name="Spent">What it spent.</param>
public sealed record BestOfResult(string Prompt, int N, int Cases, double SelectedAccuracy, double PickAccuracy, int CasesWithAPass, double OraclePassAtN,
    double RandomPick, double FirstSample, PairedComparison Gain, IReadOnlyList<int> PicksByPosition, double PositionChiSquare, double PositionP, int InvalidPicks,
    SpendActual Spent);

/// <summary>
/// <c>hone prompt best-of</c>: N samples per case, then the model picks one (self-selection) from the samples shown in a
/// seeded shuffled order; graded against the golden set with the baselines that say whether picking helps.
/// </summary>
public static partial class BestOf
{
    /// <summary>The estimate: N samples per case plus one picker call per case.</summary>
    public static SpendEstimate Estimate(BestOfRequest request, PromptEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        var samples = SpendEstimator.Of(new PromptProgram(request.Prompt), request.Cases, evaluator.Spec.Price, 4, request.N);
        var picker = SpendEstimator.Build(request.Cases.Count, samples.InputTokens / request.N + samples.OutputTokens, 8L * request.Cases.Count, evaluator.Spec.Price, 4);
        return samples.Plus(picker);
    }

    /// <summary>Runs it.</summary>
    public static async Task<BestOfResult> RunAsync(BestOfRequest request, PromptEvaluator evaluator, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        request.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PromptFile Hot(PromptFile p) => p with { Sampling = p.Sampling with { Temperature = request.Temperature } };
        var sampled = request.Prompt.IsChain
            ? request.Prompt with { Steps = [.. request.Prompt.Steps.Select(s => s with { Prompt = Hot(s.Prompt) })], ContentHash = request.Prompt.ContentHash + ":hot" }
            : Hot(request.Prompt);
        var program = new PromptProgram(sampled, evaluator.Spec.GoldenSetPath);
        var samples = new List<CandidateRun>();
        for (int i = 0; i < request.N; i++)
        {
            progress?.Report($"sample {i + 1} of {request.N}");
            samples.Add(await evaluator.EvaluateAsync($"sample-{i + 1}", program, request.Cases, i, ct).ConfigureAwait(false));
        }
        var graded = request.Cases.Where((c, i) => samples.All(s => CandidateRun.Counts(s.Results[i]))).ToList();
        var positions = new int[request.N];
        int invalid = 0;
        var first = new List<CaseResult>();
        var picked = new List<CaseResult>();
        progress?.Report("picking");
        foreach (var c in graded)
        {
            int i = request.Cases.ToList().IndexOf(c);
            var outs = samples.Select(s => s.Results[i]).ToList();
            var order = Shuffle(request.N, request.Seed, c.Id);
            var reply = await evaluator.Client.GetResponseAsync(PickerMessages(program.FirstRequest(c), order.Select(o => outs[o].Output).ToList()),
                new ChatOptions { Temperature = 0, MaxOutputTokens = 16, Seed = request.Seed }, ct).ConfigureAwait(false);
            int shown = ParsePick(reply.Text, request.N);
            if (shown < 0) invalid++;
            else positions[shown]++;
            first.Add(outs[0]);
            picked.Add(outs[shown < 0 ? 0 : order[shown]]);
        }
        int n = graded.Count;
        var passCounts = graded.Select(c => samples.Count(s => s.Results[request.Cases.ToList().IndexOf(c)].Pass)).ToList();
        int withPass = passCounts.Count(k => k > 0);
        var (chi, p) = ChiSquare.Uniform(positions);
        var firstRun = new CandidateRun("first sample", first);
        var pickRun = new CandidateRun("picked", picked);
        return new BestOfResult(request.Prompt.Name, request.N, n, pickRun.Accuracy,
            withPass == 0 ? 0 : picked.Where((r, j) => passCounts[j] > 0).Count(r => r.Pass) / (double)withPass, withPass,
            n == 0 ? 0 : withPass / (double)n, n == 0 ? 0 : passCounts.Average(k => k / (double)request.N), firstRun.Accuracy,
            PairedComparison.Of(firstRun, pickRun, request.Seed), positions, chi, p, invalid,
            SpendActual.Of(evaluator.Ledger, evaluator.Spec.Price is not null, clock.Elapsed));
    }

    /// <summary>The display order of the samples of one case: a seeded Fisher–Yates shuffle (order[shown] = sample index).</summary>
    public static int[] Shuffle(int n, int seed, string caseId)
    {
        ArgumentNullException.ThrowIfNull(caseId);
        uint h = 2166136261;
        foreach (var ch in caseId) h = (h ^ ch) * 16777619;
        var rng = new Random(unchecked(seed * 31 + (int)h));
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The self-selection request: the task as the model saw it, then the candidates numbered in display order.</summary>
    public static IReadOnlyList<ChatMessage> PickerMessages(IReadOnlyList<ChatMessage> task, IReadOnlyList<string> shown)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(shown);
        var sb = new StringBuilder("The task:\n");
        foreach (var m in task) sb.Append('[').Append(m.Role.Value).Append("] ").AppendLine(m.Text);
        sb.AppendLine().AppendLine("Candidate answers:");
        for (int i = 0; i < shown.Count; i++) sb.Append('[').Append(i + 1).Append("] ").AppendLine(shown[i]);
        sb.AppendLine().Append("Which candidate answers the task best? Reply with its number only.");
        return [new ChatMessage(ChatRole.System, "You compare candidate answers to a task and choose the best one."), new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>The 0-based shown position the reply names (its first number from 1 to n), or −1.</summary>
    public static int ParsePick(string reply, int n)
    {
        var m = Number().Match(reply ?? "");
        return m.Success && int.TryParse(m.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k >= 1 && k <= n ? k - 1 : -1;
    }

    [GeneratedRegex(@"\d+", RegexOptions.None, 1000)]
    private static partial Regex Number();
}
