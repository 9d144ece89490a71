using Hone.Data.Similarity;
using Hone.Evals.Specs;
using Hone.Prompting.Files;
using Hone.Prompting.Rendering;

namespace Hone.Prompting.Lint;

/// <summary>How bad a lint finding is.</summary>
public enum LintSeverity
{
    /// <summary>Worth knowing; not a problem.</summary>
    Info,

    /// <summary>Probably a mistake.</summary>
    Warning,

    /// <summary>The prompt is wrong (it will fail, or its measurement is not to be trusted).</summary>
    Error,
}

/// <summary>One finding.</summary>
/// <param name="Code">A stable code: <c>undefined-variable</c>, <c>unused-input</c>, <c>unused-field</c>, <c>empty-section</c>, <c>few-shot-leak</c>, <c>few-shot-near-leak</c>.</param>
/// <param name="Severity">How bad it is.</param>
/// <param name="File">The prompt file.</param>
/// <param name="Line">Its line (0 when the whole file).</param>
/// <param name="Message">What and how to fix it.</param>
public sealed record LintFinding(string Code, LintSeverity Severity, string File, int Line, string Message);

/// <summary>The result of <see cref="PromptLinter.Lint"/>.</summary>
/// <param name="Prompt">The prompt's name.</param>
/// <param name="File">Its file.</param>
/// <param name="CasesChecked">Golden cases the variables and leaks were checked against (0 without a golden set).</param>
/// <param name="Findings">Every finding, errors first.</param>
public sealed record LintReport(string Prompt, string File, int CasesChecked, IReadOnlyList<LintFinding> Findings)
{
    /// <summary>True when some finding is a warning or an error.</summary>
    public bool HasProblems => Findings.Any(f => f.Severity >= LintSeverity.Warning);
}

/// <summary>
/// Checks a prompt or chain file: variables read but not defined (against the golden cases' fields and the chain's
/// inputs), inputs and fields never read, empty sections, and few-shot examples that leak golden cases (equal after
/// normalisation, or near-duplicates by shingle Jaccard ≥ 0.8 with Hone.Data's <see cref="NearDuplicateFinder"/>).
/// </summary>
public static class PromptLinter
{
    private static readonly HashSet<string> Reserved = ["id", "tags", "messages", "tools", PromptVariables.CaseKey];

    /// <summary>Lints <paramref name="file"/>; <paramref name="cases"/> (with their spec, for references) may be null.</summary>
    public static LintReport Lint(PromptFile file, IReadOnlyList<GoldenCase>? cases, EvalSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var findings = new List<LintFinding>();
        var steps = file.IsChain ? file.Steps : [new ChainStep(file.Name, file, [], null, 0)];
        var earlier = new List<string>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var p = step.Prompt;
            var vars = p.Templates.SelectMany(t => t.Variables.Select(v => (Template: t, Var: v))).ToList();
            foreach (var (_, v) in vars) read.Add(v.Name);
            Empty(p, findings);
            foreach (var (t, v) in vars)
            {
                if (earlier.Contains(v.Name) || v.Name == PromptVariables.CaseKey) continue;
                if (step.Inputs.Count > 0 && !step.Inputs.Contains(v.Name))
                    findings.Add(new("undefined-variable", LintSeverity.Error, t.File, t.FileLine(v.Line),
                        $"{t.Section} reads '{v.Name}', which is not among step '{step.Name}''s inputs ({string.Join(", ", step.Inputs)}); add it to 'inputs'."));
                else if (cases is { Count: > 0 } && cases.Count(c => !HasField(c, v.Name)) is var missing and > 0)
                    findings.Add(new("undefined-variable", LintSeverity.Error, t.File, t.FileLine(v.Line),
                        $"{t.Section} reads '{v.Name}', which {missing} of {cases.Count} golden cases lack (first: '{cases.First(c => !HasField(c, v.Name)).Id}')" +
                        (earlier.Count > 0 ? $" and no earlier step produces (steps: {string.Join(", ", earlier)})" : "") + "."));
            }
            foreach (var input in step.Inputs.Where(i => vars.All(v => v.Var.Name != i)))
                findings.Add(new("unused-input", LintSeverity.Warning, file.SourcePath, step.Line, $"step '{step.Name}' lists input '{input}' but none of its templates reads it."));
            if (cases is { Count: > 0 }) findings.AddRange(Leaks(p, cases));
            earlier.Add(step.Name);
        }
        if (cases is { Count: > 0 }) findings.AddRange(UnusedFields(file, cases, spec, read));
        return new LintReport(file.Name, file.SourcePath, cases?.Count ?? 0, [.. findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Line)]);
    }

    private static bool HasField(GoldenCase c, string name) => c.Item.ValueKind == System.Text.Json.JsonValueKind.Object && c.Item.TryGetProperty(name, out _);

    private static void Empty(PromptFile p, List<LintFinding> findings)
    {
        foreach (var t in p.Templates.Where(t => string.IsNullOrWhiteSpace(t.Source)))
            findings.Add(new("empty-section", LintSeverity.Warning, t.File, t.FirstLine, $"'{t.Section}' is empty; remove it or write the text."));
        foreach (var key in new[] { "few_shot", "tools" })
            if (p.LineOf(key) > 0 && (key == "few_shot" ? p.FewShot.Count : p.Tools.Count) == 0)
                findings.Add(new("empty-section", LintSeverity.Warning, p.SourcePath, p.LineOf(key), $"'{key}' is empty; remove it or add entries."));
        foreach (var ex in p.FewShot.Where(e => e.Messages.Any(m => string.IsNullOrWhiteSpace(m.Content))))
            findings.Add(new("empty-section", LintSeverity.Warning, p.SourcePath, ex.Line, $"few-shot example {ex.Id ?? ""} has an empty message.".Replace("  ", " ", StringComparison.Ordinal)));
        if (p.System is null && p.User is null)
            findings.Add(new("empty-section", LintSeverity.Info, p.SourcePath, 0, $"'{p.Name}' has no system or user template: each case's own messages are sent."));
    }

    private static IEnumerable<LintFinding> Leaks(PromptFile p, IReadOnlyList<GoldenCase> cases)
    {
        if (p.FewShot.Count == 0) yield break;
        // Each case's texts: the user message the prompt renders, its own user messages, and its longer text fields.
        var texts = cases.SelectMany((c, i) => CaseTexts(p, c).Select(text => (Case: i, Text: text))).ToList();
        var caseTexts = texts.Select(x => x.Text).ToList();
        var shots = p.FewShot.Select(e => e.UserText).ToList();
        var exact = new HashSet<int>();
        var normCases = caseTexts.Select(TextNormalizer.Normalize).ToList();
        for (int i = 0; i < shots.Count; i++)
        {
            var n = TextNormalizer.Normalize(shots[i]);
            int hit = n.Length == 0 ? -1 : normCases.IndexOf(n);
            if (hit < 0) continue;
            exact.Add(i);
            yield return new("few-shot-leak", LintSeverity.Error, p.SourcePath, p.FewShot[i].Line,
                $"few-shot example {Name(p.FewShot[i], i)} is golden case '{cases[texts[hit].Case].Id}' (equal after normalisation): the eval then measures recall, not skill. Use a training example instead.");
        }
        var near = new NearDuplicateFinder().FindAcross(shots, caseTexts);
        foreach (var pair in near.Pairs.Where(x => !exact.Contains(x.First)).GroupBy(x => x.First).Select(g => g.MaxBy(x => x.Jaccard)!))
            yield return new("few-shot-near-leak", LintSeverity.Warning, p.SourcePath, p.FewShot[pair.First].Line,
                $"few-shot example {Name(p.FewShot[pair.First], pair.First)} is a near-duplicate of golden case '{cases[texts[pair.Second - shots.Count].Case].Id}' " +
                $"(shingle Jaccard {pair.Jaccard:0.00} ≥ {near.Threshold:0.00}); replace it with an example unlike the golden cases.");
    }

    private static string Name(FewShotExample e, int i) => e.Id is { } id ? $"'{id}'" : $"#{i + 1}";

    /// <summary>The texts of a case a few-shot example could copy: the rendered user message, its own user messages, its text fields of 20+ characters.</summary>
    internal static IEnumerable<string> CaseTexts(PromptFile p, GoldenCase c)
    {
        if (p.User is { } u)
        {
            string? rendered = null;
            try { rendered = u.Render(PromptVariables.Of(c), $"case '{c.Id}'"); }
            catch (PromptFileException) { }
            if (rendered is not null) yield return rendered;
        }
        if (c.Messages is { } m) yield return string.Join("\n", m.Where(x => x.Role == Microsoft.Extensions.AI.ChatRole.User).Select(x => x.Text));
        if (c.Item.ValueKind != System.Text.Json.JsonValueKind.Object) yield break;
        foreach (var f in c.Item.EnumerateObject())
            if (f.Value.ValueKind == System.Text.Json.JsonValueKind.String && f.Value.GetString()!.Length >= 20) yield return f.Value.GetString()!;
    }

    private static IEnumerable<LintFinding> UnusedFields(PromptFile file, IReadOnlyList<GoldenCase> cases, EvalSpec? spec, HashSet<string> read)
    {
        if (read.Contains(PromptVariables.CaseKey) || file.Prompts.All(p => p.User is null)) yield break;
        var common = cases.Select(c => c.Item.ValueKind == System.Text.Json.JsonValueKind.Object ? c.Item.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) : [])
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        foreach (var f in common.Where(f => !Reserved.Contains(f) && !read.Contains(f)).Order(StringComparer.Ordinal))
        {
            // A field holding each case's reference answer is for the graders, not the prompt.
            if (spec is not null && cases.All(c => c.Item.GetProperty(f) is var v && v.ValueKind == System.Text.Json.JsonValueKind.String && v.GetString() == CaseReference.Of(spec, c))) continue;
            yield return new("unused-field", LintSeverity.Info, file.SourcePath, 0, $"every golden case has '{f}', but no template reads it.");
        }
    }
}
