using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Store;

namespace Hone.Migrate.Capture;

/// <summary>One captured case: the prompt, the hosted model's answer (<c>reference</c>), tags, usage and the whole line.</summary>
public sealed record CapturedCase(string Id, CaseInput Input, string Reference, IReadOnlyList<string> Tags, long InputTokens, long OutputTokens,
    decimal? CostUsd, double? LatencyMs, JsonObject Line);

/// <summary>Reads and repairs the capture journal (<c>capture.jsonl</c>).</summary>
public static class CaptureFile
{
    /// <summary>snake_case JSON for results.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The complete cases of <paramref name="path"/> (a torn last line, left by a kill, is skipped); none when absent.</summary>
    public static List<CapturedCase> Read(string path)
    {
        var list = new List<CapturedCase>();
        if (!File.Exists(path)) return list;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? o;
            try
            {
                o = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException)
            {
                o = null;
            }
            if (o?["id"] is not JsonValue idv || o["reference"] is not JsonValue refv || o["messages"] is not JsonArray msgs) continue; // torn or foreign: not a case
            var id = idv.ToString();
            if (!seen.Add(id)) continue;
            var messages = msgs.Select(m => ((string)m!["role"]!, (string?)m["content"] ?? "")).ToList();
            var tags = o["tags"] is JsonArray t ? t.Select(x => (string)x!).ToList() : [];
            var usage = o["usage"] as JsonObject;
            list.Add(new CapturedCase(id, new CaseInput(id, messages, tags), refv.ToString(), tags, (long?)usage?["input_tokens"] ?? 0,
                (long?)usage?["output_tokens"] ?? 0, (decimal?)o["cost_usd"], (double?)o["latency_ms"], o));
        }
        return list;
    }

    /// <summary>Reads the capture and, when a kill left a torn last line, rewrites it without that line (atomically).</summary>
    public static List<CapturedCase> Repair(string path)
    {
        var cases = Read(path);
        if (!File.Exists(path)) return cases;
        var text = File.ReadAllText(path);
        if (text.Length == 0 || (text.EndsWith('\n') && text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == cases.Count)) return cases;
        AtomicFile.WriteText(path, w =>
        {
            foreach (var c in cases) w.WriteLine(c.Line.ToJsonString());
        });
        return cases;
    }

    /// <summary>Requires a non-empty capture.</summary>
    public static List<CapturedCase> Require(MigrationFolder folder)
    {
        var cases = Read(folder.CaptureFile);
        if (cases.Count == 0) throw new MigrateException($"{folder.CaptureFile}: no captured cases; run `hone migrate capture` first.");
        return cases;
    }
}
