using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Specs;

/// <summary>The reference answer of a case, as reports show it beside the model's output.</summary>
public static class CaseReference
{
    /// <summary>
    /// The reference of <paramref name="c"/>: the spec's <c>reference</c> template; else the case's trailing assistant
    /// message (its text, or its tool calls as JSON); else the reference template of the headline grader (the primary
    /// metric, or the first grader that has one). Null when none applies or the template names a missing field.
    /// </summary>
    public static string? Of(EvalSpec spec, GoldenCase c)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(c);
        if (spec.Reference is { } own) return Render(own, c);
        if (TrailingAssistant(c.Item) is { } answer) return answer;
        var graders = spec.PrimaryMetric is { } primary ? spec.Graders.Where(g => g.Name == primary) : spec.Graders;
        foreach (var g in graders)
            if (TemplateOf(g) is { } t) return Render(t, c);
        return null;
    }

    /// <summary>The text (or tool calls, as JSON) of the last message when it is an assistant message, else null.</summary>
    public static string? TrailingAssistant(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("messages", out var m) || m.ValueKind != JsonValueKind.Array || m.GetArrayLength() == 0)
            return null;
        var last = m[m.GetArrayLength() - 1];
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String || r.GetString() != "assistant")
            return null;
        if (last.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
            return content.GetString();
        if (last.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array) return calls.GetRawText();
        return content.ValueKind == JsonValueKind.String ? content.GetString() : null;
    }

    private static Template? TemplateOf(IGrader g) => g switch
    {
        StringCheckGrader s => s.Reference,
        ClassificationGrader c => c.Reference,
        TextSimilarityGrader t => t.Reference,
        NumericToleranceGrader n => n.Reference,
        JsonFieldMatchGrader j => j.Reference,
        ToolCallMatchGrader tc => tc.Reference,
        _ => null,
    };

    private static string? Render(Template t, GoldenCase c)
    {
        try { return t.Render(new GradeContext(c.Item, new GradeSample(""))); }
        catch (TemplateException) { return null; }
    }
}
