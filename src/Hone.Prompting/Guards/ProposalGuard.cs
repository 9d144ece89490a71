using Hone.Data.Similarity;
using Hone.Prompting.Files;

namespace Hone.Prompting.Guards;

/// <summary>Why a proposal was rejected.</summary>
public enum RejectReason
{
    /// <summary>The reply was cut (token limit) or never closed its prompt block.</summary>
    Truncated,

    /// <summary>A proposed template does not parse.</summary>
    TemplateError,

    /// <summary>A variable the original prompt reads is gone.</summary>
    DroppedVariable,

    /// <summary>A variable no golden case has was added.</summary>
    InventedVariable,

    /// <summary>A golden answer (or case text) appears in the prompt: it would memorise the test.</summary>
    GoldenAnswerCopied,

    /// <summary>The prompt grew far beyond the original.</summary>
    RunawayLength,

    /// <summary>It changed nothing.</summary>
    Unchanged,
}

/// <summary>The verdict on one proposal.</summary>
/// <param name="Accepted">The candidate prompt when accepted, else null.</param>
/// <param name="Reason">Why it was rejected, else null.</param>
/// <param name="Detail">The evidence, in words.</param>
public sealed record GuardVerdict(PromptFile? Accepted, RejectReason? Reason, string Detail);

/// <summary>What a guard knows about the golden set: every case's fields and reference answers and texts (all splits).</summary>
/// <param name="Fields">Fields every case has (variables a prompt may read).</param>
/// <param name="References">Each case's reference answer.</param>
/// <param name="Texts">Each case's input text (its longer fields or user messages).</param>
public sealed record GoldenFacts(IReadOnlySet<string> Fields, IReadOnlyList<string> References, IReadOnlyList<string> Texts);

/// <summary>
/// The checks every model-proposed prompt passes before it is evaluated: not truncated, templates that parse, the
/// same variables as the original (none dropped, none invented), no golden answer or case text copied in (normalised
/// containment of answers of 6+ characters and case texts of 30+ that the original did not already contain), and a
/// length within 3× the original plus 2,000 characters (at most 20,000). A rejected proposal is returned with its reason,
/// never adopted.
/// </summary>
public static class ProposalGuard
{
    /// <summary>The most characters a proposed prompt may have.</summary>
    public const int MaxChars = 20_000;

    /// <summary>Checks <paramref name="p"/> against <paramref name="original"/> and builds the candidate.</summary>
    public static GuardVerdict Check(PromptFile original, Proposal p, GoldenFacts golden, string candidateName)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(golden);
        if (p.FinishReason == "length" || !p.Complete)
            return Reject(RejectReason.Truncated, p.FinishReason == "length" ? "the reply hit the token limit" : "the reply never closed its <prompt> block");
        var system = p.System ?? original.System?.Source;
        var user = p.User ?? original.User?.Source;
        if (system == original.System?.Source && user == original.User?.Source) return Reject(RejectReason.Unchanged, "the proposal is the original prompt");
        int before = (original.System?.Source.Length ?? 0) + (original.User?.Source.Length ?? 0);
        int after = (system?.Length ?? 0) + (user?.Length ?? 0);
        int cap = Math.Min(MaxChars, 3 * before + 2_000);
        if (after > cap) return Reject(RejectReason.RunawayLength, $"{after} characters against {before} in the original (the cap is {cap})");
        PromptFile candidate;
        try { candidate = PromptFileWriter.WithTemplates(original, system, user, candidateName); }
        catch (PromptFileException e) { return Reject(RejectReason.TemplateError, e.Message); }
        var had = original.Templates.SelectMany(t => t.Variables).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var has = candidate.Templates.SelectMany(t => t.Variables).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        if (had.Except(has).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } dropped)
            return Reject(RejectReason.DroppedVariable, $"the prompt no longer reads {string.Join(", ", dropped.Select(d => "{{ " + d + " }}"))}");
        if (has.Except(had).Where(v => !golden.Fields.Contains(v) && v != Rendering.PromptVariables.CaseKey).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } invented)
            return Reject(RejectReason.InventedVariable, $"the prompt reads {string.Join(", ", invented.Select(d => "{{ " + d + " }}"))}, which no golden case has");
        var originalText = TextNormalizer.NormalizeCaseAndWhitespace((original.System?.Source ?? "") + "\n" + (original.User?.Source ?? ""));
        var text = TextNormalizer.NormalizeCaseAndWhitespace((system ?? "") + "\n" + (user ?? ""));
        var copied = golden.References.Select(TextNormalizer.NormalizeCaseAndWhitespace).Where(r => r.Length >= 6)
            .Concat(golden.Texts.Select(TextNormalizer.NormalizeCaseAndWhitespace).Where(t => t.Length >= 30))
            .Distinct(StringComparer.Ordinal)
            .Where(r => text.Contains(r, StringComparison.Ordinal) && !originalText.Contains(r, StringComparison.Ordinal)).ToList();
        if (copied.Count > 0)
            return Reject(RejectReason.GoldenAnswerCopied, $"{copied.Count} golden answers or case texts appear in the prompt, e.g. \"{Short(copied[0])}\"");
        return new GuardVerdict(candidate, null, "accepted");
    }

    private static GuardVerdict Reject(RejectReason reason, string detail) => new(null, reason, detail);

    private static string Short(string s) => s.Length <= 60 ? s : s[..57] + "...";
}

/// <summary>Builds <see cref="GoldenFacts"/>.</summary>
public static class GoldenFactsBuilder
{
    /// <summary>The facts of <paramref name="cases"/> under <paramref name="spec"/>'s references.</summary>
    public static GoldenFacts Of(Hone.Evals.Specs.EvalSpec spec, IReadOnlyList<Hone.Evals.Specs.GoldenCase> cases)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(cases);
        var fields = cases.Count == 0 ? new HashSet<string>(StringComparer.Ordinal)
            : cases.Select(c => c.Item.ValueKind == System.Text.Json.JsonValueKind.Object ? c.Item.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) : [])
                .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        var refs = cases.Select(c => Hone.Evals.Specs.CaseReference.Of(spec, c)).OfType<string>().ToList();
        var texts = cases.SelectMany(c => Lint.PromptLinter.CaseTexts(new PromptFile { Name = "", SourcePath = "", ContentHash = "" }, c)).ToList();
        return new GoldenFacts(fields, refs, texts);
    }
}
