using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Migrate.Capture;

/// <summary>One input to send to the hosted model: the prompt messages (role, content), an id and tags.</summary>
public sealed record CaseInput(string Id, IReadOnlyList<(string Role, string Content)> Messages, IReadOnlyList<string> Tags)
{
    /// <summary>The last user message (what a side-by-side view shows).</summary>
    public string LastUser => Messages.LastOrDefault(m => m.Role == "user").Content ?? "";

    /// <summary>The messages as OpenAI chat JSON.</summary>
    public JsonArray MessagesJson() => new([.. Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]);
}

/// <summary>
/// Reads the team's inputs, one JSON object a line: chat examples (<c>messages</c>, as training files and eval sets
/// hold them; trailing assistant turns are dropped, so the prompt ends at the last user turn), or a single text
/// (<c>input</c> or <c>prompt</c>, with an optional <c>system</c>). <c>id</c> (default <c>line-N</c>) and <c>tags</c>
/// are kept. A bad line is an error naming file:line.
/// </summary>
public static class CaseInputReader
{
    /// <summary>Most inputs read from one file.</summary>
    public const int MaxCases = 1_000_000;

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static List<CaseInput> Read(string path, string? idPrefix = null)
    {
        if (!File.Exists(path)) throw new MigrateException($"Inputs {path} not found: give a JSONL file of chat examples (messages) or texts (input).");
        var list = new List<CaseInput>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (list.Count >= MaxCases) throw new MigrateException($"{path}: more than {MaxCases:N0} inputs; split the file.");
            var where = $"{path}:{lineNo}";
            JsonObject obj;
            try
            {
                obj = JsonNode.Parse(line) as JsonObject ?? throw new MigrateException($"{where}: expected a JSON object.");
            }
            catch (JsonException e)
            {
                throw new MigrateException($"{where}: not valid JSON ({e.Message}).", e);
            }
            var id = idPrefix + (obj["id"] is JsonValue v ? v.ToString() : $"line-{lineNo}");
            if (!ids.Add(id)) throw new MigrateException($"{where}: the id '{id}' is used twice; ids name cases in the capture and must be unique.");
            list.Add(new CaseInput(id, Messages(obj, where), Tags(obj, where)));
        }
        if (list.Count == 0) throw new MigrateException($"{path}: no inputs.");
        return list;
    }

    private static List<(string, string)> Messages(JsonObject obj, string where)
    {
        if (obj["messages"] is JsonArray arr)
        {
            var messages = new List<(string Role, string Content)>();
            foreach (var m in arr)
            {
                var role = (m as JsonObject)?["role"]?.GetValue<string>() ?? throw new MigrateException($"{where}: a message without a role.");
                var content = (m as JsonObject)?["content"] switch
                {
                    JsonValue s when s.TryGetValue<string>(out var text) => text,
                    JsonArray parts => string.Concat(parts.Select(p => (p as JsonObject)?["text"]?.GetValue<string>() ?? "")),
                    null => "",
                    _ => throw new MigrateException($"{where}: message content must be text or text parts."),
                };
                messages.Add((role, content));
            }
            while (messages.Count > 0 && messages[^1].Role == "assistant") messages.RemoveAt(messages.Count - 1);
            if (messages.Count == 0 || messages[^1].Role != "user")
                throw new MigrateException($"{where}: the messages must reach a user turn (the prompt the hosted model answers).");
            return messages;
        }
        var input = obj["input"] ?? obj["prompt"];
        if (input is JsonValue iv && iv.TryGetValue<string>(out var inputText))
        {
            var list = new List<(string, string)>();
            if (obj["system"] is JsonValue sv && sv.TryGetValue<string>(out var system)) list.Add(("system", system));
            list.Add(("user", inputText));
            return list;
        }
        throw new MigrateException($"{where}: give 'messages' (a chat) or 'input' (a text).");
    }

    private static List<string> Tags(JsonObject obj, string where) => obj["tags"] switch
    {
        null => [],
        JsonArray a => [.. a.Select(t => t is JsonValue tv && tv.TryGetValue<string>(out var s) ? s : throw new MigrateException($"{where}: tags must be strings."))],
        JsonValue one when one.TryGetValue<string>(out var s) => [s],
        _ => throw new MigrateException($"{where}: tags must be a list of strings."),
    };
}
