using System.Globalization;
using System.Text.Json;
using Hone.Data.Model;
using Hone.Data.Similarity;
using Microsoft.Extensions.AI;

namespace Hone.Data.Checks;

/// <summary>An example the candidates are held against: a golden-set case (as an SFT example with its reference answer) or a line of existing data.</summary>
/// <param name="Name">How a reason names it, e.g. <c>golden case m2</c> or <c>train.jsonl:14</c>.</param>
/// <param name="Example">The example (OpenAI chat JSON with <c>messages</c>).</param>
public sealed record ScreenReference(string Name, JsonElement Example);

/// <summary>Why a candidate was dropped by the screen, or null codes for a kept one.</summary>
/// <param name="Index">The candidate's index in the list screened.</param>
/// <param name="Code">Null when kept; else one of <see cref="ExampleScreen"/>'s codes.</param>
/// <param name="Reason">What was found (names the example it collides with), or null when kept.</param>
public sealed record ScreenVerdict(int Index, string? Code, string? Reason)
{
    /// <summary>Whether the candidate passed the screen.</summary>
    public bool Kept => Code is null;
}

/// <summary>
/// The data-side check of new candidate examples (written by a teacher model, or fixed by a reviewer) before they join a
/// training set: each must pass <c>hone data check</c>'s per-example rules (no error finding), must not leak a golden
/// case (its conversation, system prompt aside, equal to a golden case's input after case and whitespace folding, or a
/// near-duplicate of it by the MinHash search of <see cref="NearDuplicateFinder"/>), and must not duplicate or
/// near-duplicate an existing example or an earlier candidate (whole example). The first rule broken is the reason.
/// </summary>
public static class ExampleScreen
{
    /// <summary>The example breaks a data check rule (an error finding).</summary>
    public const string Format = "format";

    /// <summary>The example's input equals a golden case's.</summary>
    public const string GoldenLeak = "golden-leak";

    /// <summary>The example's input is a near-duplicate of a golden case's.</summary>
    public const string GoldenNearDuplicate = "golden-near-duplicate";

    /// <summary>The example equals an existing one or an earlier candidate.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>The example is a near-duplicate of an existing one or an earlier candidate.</summary>
    public const string NearDuplicate = "near-duplicate";

    /// <summary>Screens <paramref name="candidates"/> (SFT examples) against the golden set and the existing data.</summary>
    /// <param name="candidates">The new examples with the names reasons give them, in order (an earlier one wins over a later duplicate).</param>
    /// <param name="golden">The golden cases as SFT examples.</param>
    /// <param name="existing">The training data already there.</param>
    /// <param name="nearDuplicateThreshold">Jaccard similarity of word 3-shingles at which two texts are near-duplicates.</param>
    /// <param name="counter">Counts tokens for the rules (default: the estimating counter).</param>
    public static IReadOnlyList<ScreenVerdict> Screen(IReadOnlyList<ScreenReference> candidates, IReadOnlyList<ScreenReference> golden,
        IReadOnlyList<ScreenReference> existing, double nearDuplicateThreshold = NearDuplicateOptions.DefaultThreshold, ITokenCounter? counter = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(golden);
        ArgumentNullException.ThrowIfNull(existing);
        counter ??= new EstimatingTokenCounter();
        var verdicts = new ScreenVerdict?[candidates.Count];
        var texts = new (string Input, string Whole)?[candidates.Count];
        var sink = new FindingSink();
        for (int i = 0; i < candidates.Count; i++)
        {
            sink.Clear();
            sink.Line = i + 1;
            if (Texts(candidates[i].Example, sink, counter) is { } t) texts[i] = t;
            else
            {
                var e = sink.Findings.FirstOrDefault(f => f.Severity == FindingSeverity.Error);
                verdicts[i] = new ScreenVerdict(i, Format, e is null ? "the example does not fit the chat format." : $"{e.Code} at {e.Path}: {e.Message}");
            }
        }

        var goldenTexts = References(golden, counter);
        var existingTexts = References(existing, counter);
        var goldenInputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, input, _) in goldenTexts) goldenInputs.TryAdd(DatasetAnalyzer.Normalize(input), name);
        var existingWholes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _, whole) in existingTexts) existingWholes.TryAdd(DatasetAnalyzer.Normalize(whole), name);
        var candidateWholes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < candidates.Count; i++)
        {
            if (texts[i] is not { } t || verdicts[i] is not null) continue;
            if (goldenInputs.TryGetValue(DatasetAnalyzer.Normalize(t.Input), out var g))
                verdicts[i] = new ScreenVerdict(i, GoldenLeak, $"the input is the same as {g}'s (ignoring case and whitespace); the golden score would be inflated.");
            else if (existingWholes.TryGetValue(DatasetAnalyzer.Normalize(t.Whole), out var e))
                verdicts[i] = new ScreenVerdict(i, Duplicate, $"the example is the same as {e} (ignoring case and whitespace).");
            else if (candidateWholes.TryGetValue(DatasetAnalyzer.Normalize(t.Whole), out var k))
                verdicts[i] = new ScreenVerdict(i, Duplicate, $"the example is the same as {candidates[k].Name} (ignoring case and whitespace).");
            else candidateWholes[DatasetAnalyzer.Normalize(t.Whole)] = i;
        }

        var open = Enumerable.Range(0, candidates.Count).Where(i => verdicts[i] is null).ToList();
        var finder = new NearDuplicateFinder(new NearDuplicateOptions { Threshold = nearDuplicateThreshold });
        Across(finder, goldenTexts.ConvertAll(r => (r.Name, r.Input)), open.ConvertAll(i => texts[i]!.Value.Input), open, verdicts, GoldenNearDuplicate, "golden score would be inflated");
        open = open.Where(i => verdicts[i] is null).ToList();
        Across(finder, existingTexts.ConvertAll(r => (r.Name, r.Whole)), open.ConvertAll(i => texts[i]!.Value.Whole), open, verdicts, NearDuplicate, "near-duplicates over-weight one case");
        open = open.Where(i => verdicts[i] is null).ToList();
        var within = finder.Find(open.ConvertAll(i => texts[i]!.Value.Whole));
        foreach (var p in within.Pairs.OrderBy(p => p.Second).ThenBy(p => p.First))
        {
            int first = open[Math.Min(p.First, p.Second)], second = open[Math.Max(p.First, p.Second)];
            if (verdicts[first] is not null || verdicts[second] is not null) continue;
            verdicts[second] = new ScreenVerdict(second, NearDuplicate, $"a near-duplicate of {candidates[first].Name} (Jaccard {Jaccard(p.Jaccard)}); near-duplicates over-weight one case.");
        }
        return [.. verdicts.Select((v, i) => v ?? new ScreenVerdict(i, null, null))];
    }

    /// <summary>The texts compared: the conversation before the last assistant turn without system messages, and the whole example.</summary>
    private static (string Input, string Whole)? Texts(JsonElement example, FindingSink sink, ITokenCounter counter)
    {
        if (example.ValueKind != JsonValueKind.Object)
        {
            sink.Error(FindingCodes.DataType, "$", "the example is not a JSON object.", "Write one JSON object per example.");
            return null;
        }
        if (ExampleValidators.Validate(DataKind.Sft, example, sink, counter) is null || sink.HasErrors) return null;
        var ex = OpenAiJson.FromElement<ChatExample>(example);
        var last = ex.Messages.FindLastIndex(m => m.Role == ChatRole.Assistant);
        var input = ExampleValidators.Text(ex.Messages.Take(last).Where(m => m.Role != ChatRole.System && m.Role.Value != OpenAiRoles.Developer));
        return (input, ExampleValidators.Text(ex.Messages.Where(m => m.Role != ChatRole.System && m.Role.Value != OpenAiRoles.Developer)));
    }

    private static List<(string Name, string Input, string Whole)> References(IReadOnlyList<ScreenReference> refs, ITokenCounter counter)
    {
        var list = new List<(string, string, string)>();
        var sink = new FindingSink();
        foreach (var r in refs)
        {
            sink.Clear();
            if (Texts(r.Example, sink, counter) is { } t) list.Add((r.Name, t.Input, t.Whole));
        }
        return list;
    }

    private static void Across(NearDuplicateFinder finder, List<(string Name, string Text)> refs, List<string> texts, List<int> indexOf, ScreenVerdict?[] verdicts,
        string code, string why)
    {
        if (refs.Count == 0 || texts.Count == 0) return;
        var result = finder.FindAcross(refs.ConvertAll(r => r.Text), texts);
        foreach (var p in result.Pairs.OrderByDescending(p => p.Jaccard).ThenBy(p => p.First).ThenBy(p => p.Second))
        {
            var (r, c) = p.First < refs.Count ? (p.First, p.Second - refs.Count) : (p.Second, p.First - refs.Count);
            var i = indexOf[c];
            if (verdicts[i] is not null) continue;
            verdicts[i] = new ScreenVerdict(i, code, $"a near-duplicate of {refs[r].Name} (Jaccard {Jaccard(p.Jaccard)}); {why}.");
        }
    }

    private static string Jaccard(double j) => j.ToString("0.00", CultureInfo.InvariantCulture);
}
