using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;

namespace Hone.Evals.EdgeCases;

/// <summary>What <see cref="EdgeCaseExport.Write"/> wrote.</summary>
/// <param name="Path">The JSONL file.</param>
/// <param name="Cases">Cases written.</param>
/// <param name="WithReference">Of those, cases whose reference answer was baked in as the assistant message.</param>
public sealed record EdgeCaseExportResult(string Path, int Cases, int WithReference);

/// <summary>
/// Exports a run's failing cases as JSONL, to target with new training examples. Each line is
/// <c>{"messages": [...], "metadata": {"id", "tags", "model_output", "run"}}</c> where <c>messages</c> are the exact
/// input messages the model saw (system prompt and template baked in) followed, when the reference is known, by the
/// reference answer as the assistant message — a chat fine-tuning example. The reference is the case's own trailing
/// assistant message, or the field named by <c>referenceField</c>; without either the line has no assistant message and
/// <c>metadata.reference_missing</c> is true (write the answer before training on it).
/// </summary>
public static class EdgeCaseExport
{
    /// <summary>
    /// Writes the failing cases of <paramref name="run"/> atomically: all of them, or, with <paramref name="tag"/>, those
    /// tagged with it or listed in <paramref name="namedCases"/> (the cases added to the edge case of that name).
    /// </summary>
    public static EdgeCaseExportResult Write(string path, LoadedEvalRun run, EvalSpec spec, string? referenceField = null, string? tag = null,
        IReadOnlyCollection<string>? namedCases = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(spec);
        var outcomes = EdgeCaseReport.Outcomes(run);
        var golden = GoldenSet.Load(spec.GoldenSetPath).ToDictionary(c => c.Id, StringComparer.Ordinal);
        var lines = new List<string>();
        int withRef = 0;
        foreach (var (id, pass) in outcomes)
        {
            if (pass) continue;
            if (!golden.TryGetValue(id, out var c))
                throw new EvalSpecException($"{spec.GoldenSetPath}: case '{id}' of run {run.Run.Id} is no longer in the golden set; export from a newer run.");
            if (tag is not null && !c.Tags.Contains(tag, StringComparer.Ordinal) && namedCases?.Contains(id) != true) continue;
            var messages = JsonNode.Parse(EvalPromptBuilder.ToJson(EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath)).GetRawText())!.AsArray();
            var reference = Reference(c, referenceField, spec.GoldenSetPath);
            if (reference is not null)
            {
                messages.Add(reference);
                withRef++;
            }
            var first = run.Results.First(r => r.CaseId == id);
            var meta = new JsonObject
            {
                ["id"] = id,
                ["tags"] = new JsonArray([.. c.Tags.Select(t => (JsonNode)JsonValue.Create(t))]),
                ["model_output"] = first.Output,
                ["run"] = run.Run.Id,
            };
            if (reference is null) meta["reference_missing"] = true;
            var line = new JsonObject { ["messages"] = messages, ["metadata"] = meta };
            if (c.Item.TryGetProperty("tools", out var tools)) line["tools"] = JsonNode.Parse(tools.GetRawText());
            lines.Add(line.ToJsonString());
        }
        AtomicFile.WriteText(path, w => { foreach (var l in lines) w.WriteLine(l); });
        return new EdgeCaseExportResult(path, lines.Count, withRef);
    }

    private static JsonNode? Reference(GoldenCase c, string? field, string source)
    {
        if (field is not null)
        {
            if (!c.Item.TryGetProperty(field, out var v))
                throw new EvalSpecException($"{source}:{c.Line}: case '{c.Id}' has no field '{field}' (--reference-field).");
            return new JsonObject { ["role"] = "assistant", ["content"] = v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() };
        }
        if (c.Item.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array && m.GetArrayLength() > 0)
        {
            var last = m[m.GetArrayLength() - 1];
            if (last.TryGetProperty("role", out var r) && r.GetString() == "assistant") return JsonNode.Parse(last.GetRawText());
        }
        return null;
    }
}
