using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Data.Similarity;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Techniques;

/// <summary>What <c>hone prompt induce</c> runs.</summary>
/// <param name="ConversationsPath">Golden conversations, OpenAI chat JSONL (the examples the system prompt is written from).</param>
/// <param name="Start">The starting prompt (its user template and settings are kept), or null: the cases' own messages with no system prompt.</param>
/// <param name="Cases">Held-out golden cases that judge the induced prompt (conversations that duplicate one are not shown).</param>
/// <param name="Seed">Seeds the meta-model.</param>
/// <param name="MaxExamples">Conversations shown at most.</param>
public sealed record InduceRequest(string ConversationsPath, PromptFile? Start, IReadOnlyList<GoldenCase> Cases, int Seed = 0, int MaxExamples = 20);

/// <summary>The result of <c>hone prompt induce</c>.</summary>
public sealed record InduceResult
{
    /// <summary>Conversations read.</summary>
    public required int Conversations { get; init; }

    /// <summary>Conversations not shown because they equal or nearly equal a held-out golden case.</summary>
    public required int LeakingExcluded { get; init; }

    /// <summary>Conversations shown to the meta-model.</summary>
    public required int Shown { get; init; }

    /// <summary>The meta-model's explanation.</summary>
    public string Explanation { get; init; } = "";

    /// <summary>Why the proposal was rejected by a guard, or null.</summary>
    public RejectedProposal? Rejected { get; init; }

    /// <summary>The starting prompt against the induced one on the held-out cases.</summary>
    public PairedComparison? Validation { get; init; }

    /// <summary>better, worse, no significant difference, or rejected.</summary>
    public required string Verdict { get; init; }

    /// <summary>The induced prompt's file text.</summary>
    public string? InducedYaml { get; init; }

    /// <summary>What it spent.</summary>
    public required SpendActual Spent { get; init; }

    /// <summary>The induced prompt (not serialized).</summary>
    [JsonIgnore]
    public PromptFile? Induced { get; init; }
}

/// <summary>
/// <c>hone prompt induce --golden-conversations FILE</c>: a meta-model writes a system prompt from golden conversations;
/// the guarded result is validated on held-out golden cases against the starting prompt (paired).
/// </summary>
public static class Induce
{
    /// <summary>Reads golden conversations (their system messages dropped); errors name file and line.</summary>
    public static IReadOnlyList<IReadOnlyList<(string Role, string Content)>> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: golden conversations not found.");
        var list = new List<IReadOnlyList<(string, string)>>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var doc = JsonDocument.Parse(text).RootElement;
                if (!doc.TryGetProperty("messages", out var m) || m.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}:{line}: no 'messages' array (OpenAI chat JSONL).");
                var turns = m.EnumerateArray().Select(x => (Role: x.GetProperty("role").GetString() ?? "", Content: x.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : ""))
                    .Where(t => t.Role is "user" or "assistant").ToList();
                if (!turns.Any(t => t.Role == "assistant")) throw new InvalidDataException($"{path}:{line}: the conversation has no assistant answer to learn from.");
                list.Add(turns);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{line}: not a chat example ({e.Message}).", e);
            }
        }
        return list.Count > 0 ? list : throw new InvalidDataException($"{path}: no conversations.");
    }

    private static PromptFile StartOf(InduceRequest r) => r.Start ?? new PromptFile { Name = "start", SourcePath = "", ContentHash = "induce-start" };

    /// <summary>The estimate: one meta call and both prompts on the held-out cases.</summary>
    public static SpendEstimate Estimate(InduceRequest r, PromptEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        return SpendEstimator.Of(new PromptProgram(StartOf(r)), r.Cases, evaluator.Spec.Price, 4).Times(2).Plus(SpendEstimator.Build(1, 8_000, 1_000, evaluator.Spec.Price, 1));
    }

    /// <summary>Runs it. <paramref name="meta"/> is the meta-model, already wrapped.</summary>
    public static async Task<InduceResult> RunAsync(InduceRequest r, PromptEvaluator evaluator, IChatClient meta, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(meta);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var start = StartOf(r);
        var all = Read(r.ConversationsPath);
        var caseTexts = r.Cases.SelectMany(c => Lint.PromptLinter.CaseTexts(start, c)).ToList();
        var userTexts = all.Select(c => string.Join("\n", c.Where(t => t.Role == "user").Select(t => t.Content))).ToList();
        var near = new NearDuplicateFinder().FindAcross(userTexts, caseTexts);
        var normCases = caseTexts.Select(TextNormalizer.Normalize).ToHashSet(StringComparer.Ordinal);
        var leaking = Enumerable.Range(0, all.Count).Where(i => normCases.Contains(TextNormalizer.Normalize(userTexts[i])) || near.GroupOf[i] >= 0).ToHashSet();
        var shown = all.Where((_, i) => !leaking.Contains(i)).Take(r.MaxExamples).ToList();
        if (shown.Count == 0) throw new InvalidDataException($"{r.ConversationsPath}: every conversation duplicates a held-out golden case; give conversations that are not in the golden set.");
        var proposal = await MetaPrompts.ProposeAsync(meta, MetaPrompts.Induce(r.Start, shown), MetaPrompts.Options(r.Seed, 0.2), ct).ConfigureAwait(false);
        proposal = proposal with { User = null };
        var v = ProposalGuard.Check(start, proposal, GoldenFactsBuilder.Of(evaluator.Spec, r.Cases), start.Name + ".induced");
        InduceResult Result(string verdict) => new()
        {
            Conversations = all.Count, LeakingExcluded = leaking.Count, Shown = shown.Count, Explanation = proposal.Explanation, Verdict = verdict,
            Spent = SpendActual.Of(evaluator.Ledger, evaluator.Spec.Price is not null, clock.Elapsed),
        };
        if (v.Accepted is not { } induced)
            return Result("rejected") with { Rejected = new RejectedProposal(1, "induced", v.Reason!.Value, v.Detail) };
        var golden = evaluator.Spec.GoldenSetPath;
        var a = await evaluator.EvaluateAsync("start", new PromptProgram(start, golden), r.Cases, 0, ct).ConfigureAwait(false);
        var b = await evaluator.EvaluateAsync("induced", new PromptProgram(induced, golden), r.Cases, 0, ct).ConfigureAwait(false);
        var cmp = PairedComparison.Of(a, b, r.Seed);
        var verdict = cmp.SignificantGain ? "better" : cmp.SignificantLoss ? "worse" : "no significant difference";
        return Result(verdict) with
        {
            Validation = cmp, Induced = induced,
            InducedYaml = PromptFileWriter.Yaml(start, proposal.System, start.User?.Source, induced.Name,
                $"written by hone prompt induce from {r.ConversationsPath}\nvalidated on {r.Cases.Count} held-out golden cases: {verdict} ({cmp.AccuracyA:P1} → {cmp.AccuracyB:P1}, McNemar p {cmp.McNemarP:0.###})"),
        };
    }
}
