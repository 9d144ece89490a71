using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Migrate.Plan;

/// <summary>The graders chosen for the captured data, and why.</summary>
/// <param name="Kind">labels, json or free_text.</param>
/// <param name="Graders">Grader definitions (Hone YAML/JSON grader config) the run and the report build with <c>GraderFactory</c>.</param>
/// <param name="Reason">One sentence on why.</param>
public sealed record GraderChoice(string Kind, JsonArray Graders, string Reason)
{
    /// <summary>The template of the hosted model's answer in a captured case.</summary>
    public const string Reference = "{{item.reference}}";

    /// <summary>The template of the open model's answer.</summary>
    public const string Output = "{{sample.output_text}}";

    /// <summary>
    /// Chooses from the hosted model's answers: JSON objects everywhere → field match on every top-level field; a few
    /// distinct short answers (labels) → exact match; otherwise free text → a model grader when a judge is named (it
    /// scores whether the open model says the same as the hosted one), else ROUGE-L against the hosted answer, with a
    /// note to name a judge.
    /// </summary>
    public static GraderChoice Choose(IReadOnlyList<string> references, string? judge)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new MigrateException("No captured answers to choose graders from.");
        if (references.All(IsJsonObject))
        {
            return new("json", [new JsonObject
            {
                ["type"] = "json_field_match", ["name"] = "json_fields", ["input"] = Output, ["reference"] = Reference, ["pass_threshold"] = 1.0,
            }], $"all {references.Count} answers are JSON objects: every top-level field must match the hosted model's");
        }
        var distinct = references.Select(r => r.Trim()).Distinct(StringComparer.Ordinal).Count();
        var labelLimit = Math.Max(2, Math.Min(50, references.Count / 3));
        if (distinct <= labelLimit && references.All(r => r.Trim().Length <= 60 && r.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length <= 4))
        {
            return new("labels", [new JsonObject
            {
                ["type"] = "string_check", ["name"] = "exact", ["input"] = Output, ["reference"] = Reference, ["operation"] = "eq",
            }], $"{distinct} distinct short answers over {references.Count} cases look like labels: exact match");
        }
        if (judge is not null)
        {
            return new("free_text", [new JsonObject
            {
                ["type"] = "score_model", ["name"] = "judge", ["model"] = judge, ["range"] = new JsonArray(0, 1), ["pass_threshold"] = 0.7,
                ["input"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "You compare a candidate answer with a reference answer to the same request. Reply with a score from 0 to 1: 1 when the candidate says the same thing (same facts, same decision, same format), 0 when it does not." },
                    new JsonObject { ["role"] = "user", ["content"] = "Reference answer:\n" + Reference + "\n\nCandidate answer:\n" + Output }),
            }], $"free text ({distinct} distinct answers): a model grader ({judge}) scores whether the open model says the same as the hosted one");
        }
        return new("free_text", [new JsonObject
        {
            ["type"] = "text_similarity", ["name"] = "rouge_l", ["input"] = Output, ["reference"] = Reference, ["evaluation_metric"] = "rouge_l", ["pass_threshold"] = 0.7,
        }], $"free text ({distinct} distinct answers): ROUGE-L ≥ 0.7 against the hosted answer; name a judge (--judge provider:model) for a model grader, or write your own (--graders FILE)");
    }

    private static bool IsJsonObject(string s)
    {
        s = s.Trim();
        if (!s.StartsWith('{')) return false;
        try
        {
            return JsonNode.Parse(s) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
