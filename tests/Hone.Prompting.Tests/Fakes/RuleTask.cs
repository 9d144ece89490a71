using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Fakes;

/// <summary>
/// A deterministic prompt-sensitive task. Each case has a word and a kind; the right answer applies the kind's rule
/// (alpha reverses, beta sorts the letters, gamma doubles, delta keeps the first three letters; omega has no rule anyone can
/// state). The simulated model answers a case right only when the prompt carries the rule its kind needs:
/// <c>WORD w: op</c> (a rule for one word) beats <c>DEFAULT op</c>, which beats <c>RULE kind: op</c>; without any it
/// repeats the word.
/// </summary>
internal static partial class RuleTask
{
    public static readonly string[] Kinds = ["alpha", "beta", "gamma", "delta"];

    private static readonly string[] Words = ["banana", "cherry", "orange", "pepper", "walnut", "almond", "tomato", "garlic", "radish", "squash",
        "lemons", "mangos", "celery", "turnip", "fennel", "raisin", "quince", "papaya", "durian", "lychee"];

    public static string Op(string kind) => kind switch { "alpha" => "reverse", "beta" => "sort", "gamma" => "double", "delta" => "first3", _ => "secret" };

    public static string Apply(string op, string word) => op switch
    {
        "reverse" => new string([.. word.Reverse()]),
        "sort" => new string([.. word.Order()]),
        "double" => word + word,
        "first3" => word[..3],
        "scramble" => "x" + word.ToUpperInvariant() + "x",
        _ => "?" + word.Length,
    };

    public static string Answer(string kind, string word) => kind == "omega" ? "omega-" + (word.GetHashCode(StringComparison.Ordinal) & 0xff) : Apply(Op(kind), word);

    /// <summary>Golden-set lines: <paramref name="n"/> cases cycling through <paramref name="kinds"/>, with tags.</summary>
    public static string Golden(int n, string[] kinds, Func<int, string, IEnumerable<string>>? tags = null) => string.Join("\n", Enumerable.Range(0, n).Select(i =>
    {
        var kind = kinds[i % kinds.Length];
        var word = Words[i % Words.Length] + (i / Words.Length == 0 ? "" : new string('s', i / Words.Length));
        var t = tags?.Invoke(i, kind).ToList() ?? [];
        var tagJson = t.Count == 0 ? "" : ", \"tags\": [" + string.Join(", ", t.Select(x => $"\"{x}\"")) + "]";
        return $$"""{"id": "c{{i + 1:00}}", "kind": "{{kind}}", "word": "{{word}}", "answer": "{{Answer(kind, word)}}"{{tagJson}}}""";
    }));

    public const string StartPrompt = "system: |\n  Transform the word as its kind requires.\n  RULE alpha: reverse\nuser: \"{{ kind }}: {{ word }}\"\n";

    public static string AllRules => string.Join("\n", Kinds.Select(k => $"RULE {k}: {Op(k)}"));

    /// <summary>The prompt-sensitive model.</summary>
    public static ScriptedChatClient Model() => new(m =>
    {
        var prompt = ScriptedChatClient.Prompt(m);
        var q = CaseLine().Match(ScriptedChatClient.LastUser(m));
        if (!q.Success) return "?";
        string kind = q.Groups[1].Value, word = q.Groups[2].Value;
        var own = Regex.Match(prompt, $@"WORD {Regex.Escape(word)}: (\w+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        if (own.Success) return Apply(own.Groups[1].Value, word);
        var dflt = Regex.Match(prompt, @"DEFAULT (\w+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        if (dflt.Success) return Apply(dflt.Groups[1].Value, word);
        var rule = Regex.Match(prompt, $@"RULE {kind}: (\w+)", RegexOptions.None, TimeSpan.FromSeconds(1));
        return rule.Success ? Apply(rule.Groups[1].Value, word) : word;
    }, "rule-model");

    /// <summary>What the meta-model sees of the failures it is shown: (kind, word, expected).</summary>
    public static List<(string Kind, string Word, string Expected)> Failures(IReadOnlyList<ChatMessage> request)
    {
        var text = ScriptedChatClient.LastUser(request);
        return [.. FailureBlock().Matches(text).Select(x => (x.Groups[1].Value, x.Groups[2].Value, x.Groups[3].Value.Trim()))];
    }

    /// <summary>The current system prompt in a rewrite request.</summary>
    public static string CurrentSystem(IReadOnlyList<ChatMessage> request) =>
        Regex.Match(ScriptedChatClient.LastUser(request), "<system>\n(.*?)\n</system>", RegexOptions.Singleline, TimeSpan.FromSeconds(1)).Groups[1].Value.TrimEnd();

    /// <summary>A meta-model reply proposing <paramref name="system"/>.</summary>
    public static string Reply(string system, string why = "the prompt lacks rules") => $"<explanation>{why}</explanation>\n<prompt>\n<system>\n{system}\n</system>\n</prompt>";

    /// <summary>The honest meta-model: adds the rule of every kind among the failures it is shown (none for omega).</summary>
    public static string Honest(IReadOnlyList<ChatMessage> request)
    {
        var current = CurrentSystem(request);
        var add = Failures(request).Select(f => f.Kind).Distinct().Where(k => k != "omega" && !current.Contains($"RULE {k}:", StringComparison.Ordinal))
            .Select(k => $"RULE {k}: {Op(k)}");
        var rules = add.ToList();
        return Reply(rules.Count == 0 ? current + "\nBe careful." : current + "\n" + string.Join("\n", rules));
    }

    /// <summary>An overfitted proposal: a rule for each shown word, and a default that breaks every other case.</summary>
    public static string Overfit(IReadOnlyList<ChatMessage> request) =>
        Reply(CurrentSystem(request) + "\n" + string.Join("\n", Failures(request).Select(f => $"WORD {f.Word}: {Op(f.Kind)}")) + "\nDEFAULT scramble", "memorise the shown words");

    /// <summary>A proposal that copies the golden answers of the failures into the prompt.</summary>
    public static string Copier(IReadOnlyList<ChatMessage> request) =>
        Reply(CurrentSystem(request) + "\nKnown answers:\n" + string.Join("\n", Failures(request).Select(f => $"{f.Word} -> {f.Expected}")), "copy the answers");

    [GeneratedRegex(@"^(\w+): (\w+)$", RegexOptions.None, 1000)]
    private static partial Regex CaseLine();

    [GeneratedRegex(@"Input:\n(?:system: [^\n]*\n(?:[^\n]*\n)*?)?user: (\w+): (\w+)\nModel's answer:\n[^\n]*\nExpected answer:\n([^\n]*)", RegexOptions.None, 1000)]
    private static partial Regex FailureBlock();
}
