using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hone.Core;
using Hone.Evals.Runs;

namespace Hone.Evals.Specs;

/// <summary>Which grader <see cref="EvalSpecInit"/> chose for the data, and why.</summary>
public enum InitialGrader
{
    /// <summary>The references are few distinct short values: exact match of the trimmed output (<c>classification</c>).</summary>
    Classification,

    /// <summary>The references are JSON objects: field-by-field match (<c>json_field_match</c>).</summary>
    JsonFields,

    /// <summary>The references are tool calls: <c>tool_call_match</c>.</summary>
    ToolCalls,

    /// <summary>Free text: fuzzy match against the reference (<c>text_similarity</c>), to be replaced by a judge where wanted.</summary>
    FreeText,
}

/// <summary>What <see cref="EvalSpecInit.Write"/> wrote.</summary>
/// <param name="SpecPath">The spec file.</param>
/// <param name="GoldenSetPath">The golden set it reads (the examples file itself).</param>
/// <param name="Cases">Examples (cases).</param>
/// <param name="Grader">The grader chosen.</param>
/// <param name="Labels">The labels, for a classification grader; else empty.</param>
/// <param name="MaxTokens">The completion limit written.</param>
public sealed record InitialSpec(string SpecPath, string GoldenSetPath, int Cases, InitialGrader Grader, IReadOnlyList<string> Labels, int MaxTokens);

/// <summary>
/// <c>hone eval init --from FILE.jsonl</c>: writes an eval spec over chat examples whose last message is the assistant's
/// answer. The examples file is the golden set as it is: each case sends its messages without that last one, and the
/// graders read it as <c>{{item.messages[-1].content}}</c>. The grader is chosen for the data (see
/// <see cref="InitialGrader"/>) and named as the spec's primary metric; the spec is commented so it can be edited.
/// </summary>
public static class EvalSpecInit
{
    /// <summary>The reference path the written graders use.</summary>
    public const string ReferencePath = "{{item.messages[-1].content}}";

    private static readonly JsonSerializerOptions Quote = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads <paramref name="examplesPath"/> and writes the spec to <paramref name="specPath"/> atomically.</summary>
    /// <exception cref="EvalSpecException">The examples are invalid, or one does not end with an assistant answer (file:line).</exception>
    public static InitialSpec Write(string examplesPath, string specPath)
    {
        ArgumentNullException.ThrowIfNull(examplesPath);
        ArgumentNullException.ThrowIfNull(specPath);
        var examples = Path.GetFullPath(examplesPath);
        var cases = GoldenSet.Load(examples);
        var references = new List<string>(cases.Count);
        bool allCalls = true;
        foreach (var c in cases)
        {
            if (c.Messages is null)
                throw new EvalSpecException($"{examples}:{c.Line}: the example has no 'messages'; eval init takes chat examples ({{\"messages\": [..., {{\"role\": \"assistant\", ...}}]}}).");
            var reference = CaseReference.TrailingAssistant(c.Item)
                ?? throw new EvalSpecException($"{examples}:{c.Line}: the last message is not the assistant's answer; each example must end with the assistant message the model should give.");
            var last = c.Item.GetProperty("messages")[c.Item.GetProperty("messages").GetArrayLength() - 1];
            allCalls &= last.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;
            references.Add(reference);
        }
        var grader = allCalls ? InitialGrader.ToolCalls
            : ClassificationSummary.LooksLikeLabels(references) ? InitialGrader.Classification
            : references.All(IsJsonObject) ? InitialGrader.JsonFields
            : InitialGrader.FreeText;
        var labels = grader == InitialGrader.Classification
            ? references.Select(r => r.Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : [];
        int longest = references.Max(r => r.Length);
        int maxTokens = Math.Clamp(longest + 8, 16, 2048);
        var full = Path.GetFullPath(specPath);
        var yaml = Render(Path.GetFileNameWithoutExtension(full), Path.GetRelativePath(Path.GetDirectoryName(full)!, examples).Replace('\\', '/'),
            cases.Count, grader, labels, maxTokens, longest);
        AtomicFile.WriteAllText(full, yaml);
        return new InitialSpec(full, examples, cases.Count, grader, labels, maxTokens);
    }

    private static string Render(string name, string golden, int cases, InitialGrader grader, IReadOnlyList<string> labels, int maxTokens, int longest)
    {
        var sb = new StringBuilder();
        sb.Append("# Eval spec written by 'hone eval init' from ").Append(cases.ToString(CultureInfo.InvariantCulture)).Append(" examples.\n");
        sb.Append("# Each case sends its messages without the last one; the last (assistant) message is the reference,\n");
        sb.Append("# read by the graders as ").Append(ReferencePath).Append(". The README's 'Eval specs' section lists every key.\n");
        sb.Append("name: ").Append(Q(name)).Append('\n');
        sb.Append("golden_set: ").Append(Q(golden)).Append("   # relative to this file\n");
        sb.Append("# model: local:path/to/model     # or provider:model from hone.yaml; --model overrides\n");
        sb.Append("# prompt:                        # the cases carry their own messages (system prompt included)\n");
        sb.Append("#   system: \"...\"               # prepended to cases that have no system message\n");
        sb.Append("temperature: 0\n");
        sb.Append("max_tokens: ").Append(maxTokens.ToString(CultureInfo.InvariantCulture))
            .Append("                 # room for the longest reference (").Append(longest.ToString(CultureInfo.InvariantCulture)).Append(" characters)\n");
        sb.Append("# seed: 1\n# repeats: 1                     # >1 reports pass@k and flaky cases\n");
        sb.Append("graders:\n");
        switch (grader)
        {
            case InitialGrader.Classification:
                sb.Append("  # The references are ").Append(labels.Count.ToString(CultureInfo.InvariantCulture))
                    .Append(" labels: exact match of the trimmed output, with per-class accuracy and a confusion matrix.\n");
                sb.Append("  - name: label\n    type: classification\n    input: \"{{sample.output_text}}\"\n    reference: \"").Append(ReferencePath).Append("\"\n");
                sb.Append("    labels: [").Append(string.Join(", ", labels.Select(Q))).Append("]\n");
                sb.Append("    # ignore_case: true\n");
                sb.Append("primary_metric: label\n");
                break;
            case InitialGrader.JsonFields:
                sb.Append("  # The references are JSON objects: each field must match (pass_threshold 1 = all fields).\n");
                sb.Append("  - name: fields\n    type: json_field_match\n    input: \"{{sample.output_text}}\"\n    reference: \"").Append(ReferencePath).Append("\"\n");
                sb.Append("    pass_threshold: 1\n  - name: valid_json\n    type: json_valid\n");
                sb.Append("primary_metric: fields\n");
                break;
            case InitialGrader.ToolCalls:
                sb.Append("  # The references are tool calls: names and arguments must match.\n");
                sb.Append("  - name: calls\n    type: tool_call_match\n    reference: \"{{item.messages[-1].tool_calls}}\"\n");
                sb.Append("primary_metric: calls\n");
                break;
            default:
                sb.Append("  # The references are free text. A fuzzy match of at least 0.8 is a sensible start; for open-ended\n");
                sb.Append("  # answers a judge model (type: score_model) grades meaning rather than wording.\n");
                sb.Append("  - name: similar\n    type: text_similarity\n    input: \"{{sample.output_text}}\"\n    reference: \"").Append(ReferencePath).Append("\"\n");
                sb.Append("    evaluation_metric: fuzzy_match\n    pass_threshold: 0.8\n");
                sb.Append("primary_metric: similar\n");
                break;
        }
        return sb.ToString();
    }

    private static bool IsJsonObject(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith('{')) return false;
        try
        {
            using var doc = JsonDocument.Parse(t);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Q(string s) => JsonSerializer.Serialize(s, Quote);
}
