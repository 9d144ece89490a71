using System.Text;
using System.Text.Json;

namespace Hone.Prompting.Files;

/// <summary>Reads the <c>few_shot</c> list: inline examples, or chat examples drawn from a JSONL file by id.</summary>
internal static class FewShotReader
{
    public const int MaxExamples = 200;

    public static IReadOnlyList<FewShotExample> Read(IReadOnlyList<YamlNodes> entries, string dir, StringBuilder hash)
    {
        var list = new List<FewShotExample>();
        foreach (var e in entries)
        {
            if (e.Has("file")) list.AddRange(FromFile(e, dir, hash));
            else if (e.Has("messages"))
            {
                e.CheckKeys("id", "messages");
                list.Add(new FewShotExample(e.Str("id"), Messages(e.Json.GetProperty("messages"), e.File, e.LineOf("messages")), e.Line));
            }
            else
            {
                e.CheckKeys("id", "user", "assistant");
                var user = e.Str("user") ?? throw e.Error("user", "is required: the example's user message (or give 'messages', or 'file' and 'ids').");
                var assistant = e.Str("assistant") ?? throw e.Error("assistant", "is required: the answer the example shows.");
                list.Add(new FewShotExample(e.Str("id"), [("user", user), ("assistant", assistant)], e.Line));
            }
            if (list.Count > MaxExamples) throw e.Error("few_shot", $"more than {MaxExamples} few-shot examples.");
        }
        return list;
    }

    private static IEnumerable<FewShotExample> FromFile(YamlNodes e, string dir, StringBuilder hash)
    {
        e.CheckKeys("file", "ids");
        var path = Path.GetFullPath(Path.Combine(dir, e.Str("file")!));
        if (!File.Exists(path)) throw e.Error("file", $"'{path}' not found.");
        var ids = e.Strings("ids");
        if (ids.Count == 0) throw e.Error("ids", "is required: the ids of the examples to show, in order.");
        var byId = new Dictionary<string, (JsonElement Messages, int Line)>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            hash.Append('\n').Append(text);
            JsonElement item;
            try { item = JsonDocument.Parse(text).RootElement.Clone(); }
            catch (JsonException x) { throw new PromptFileException(path, line, $"invalid JSON: {x.Message}"); }
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var id)) continue;
            var key = id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
            if (item.TryGetProperty("messages", out var m)) byId.TryAdd(key, (m, line));
        }
        foreach (var id in ids)
        {
            if (!byId.TryGetValue(id, out var found))
                throw e.Error("ids", $"no example with id '{id}' and 'messages' in {path}.");
            var messages = Messages(found.Messages, path, found.Line).Where(m => m.Role != "system").ToList();
            yield return new FewShotExample(id, messages, e.Line);
        }
    }

    private static List<(string Role, string Content)> Messages(JsonElement arr, string file, int line)
    {
        if (arr.ValueKind != JsonValueKind.Array || arr.GetArrayLength() == 0)
            throw new PromptFileException(file, line, "'messages' must be a non-empty list of {role, content}.");
        var list = new List<(string, string)>();
        foreach (var m in arr.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
                throw new PromptFileException(file, line, "each message needs a 'role' and a text 'content'.");
            if (r.GetString() is not ("system" or "user" or "assistant"))
                throw new PromptFileException(file, line, $"role '{r.GetString()}' is not system, user or assistant.");
            list.Add((r.GetString()!, c.GetString()!));
        }
        return list;
    }
}
