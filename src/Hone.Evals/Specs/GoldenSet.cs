using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Specs;

/// <summary>One case of a golden set.</summary>
/// <param name="Id">The case id: the <c>id</c> field, or <c>line-N</c> when absent (give ids: they keep comparisons
/// stable when the file is edited).</param>
/// <param name="Line">The 1-based line of the case in its file.</param>
/// <param name="Item">The whole JSON object: the <c>item</c> namespace of prompt templates and graders.</param>
/// <param name="Messages">The input messages (a trailing assistant message, being the reference, is removed); null when
/// the case gives template variables instead.</param>
/// <param name="Tools">The tools offered to the model (OpenAI <c>tools</c> array), if any.</param>
/// <param name="Tags">Edge-case names this case belongs to.</param>
public sealed record GoldenCase(string Id, int Line, JsonElement Item, IReadOnlyList<ChatMessage>? Messages,
    IReadOnlyList<AITool> Tools, IReadOnlyList<string> Tags);

/// <summary>
/// A golden set: JSONL, one JSON object a line (blank lines are skipped). Reserved fields: <c>id</c> (string or
/// integer, unique), <c>tags</c> (array of edge-case names), <c>messages</c> (chat messages in OpenAI's shape; when
/// they end with an assistant message, that message is the reference and is not sent to the model) and <c>tools</c>
/// (OpenAI function tools). Every other field is a template variable or reference field, reached as
/// <c>{{item.field}}</c>. Errors name the file and line.
/// </summary>
public static class GoldenSet
{
    /// <summary>The most cases a golden set may hold.</summary>
    public const int MaxCases = 100_000;

    /// <summary>The longest line accepted, in characters.</summary>
    public const int MaxLineChars = 4_000_000;

    /// <summary>Reads a golden set file.</summary>
    /// <exception cref="EvalSpecException">The file is missing or a line is invalid (file:line, what, how to fix).</exception>
    public static IReadOnlyList<GoldenCase> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new EvalSpecException($"{path}: golden set not found. Check 'golden_set' in the eval spec (relative to the spec's folder).");
        return Parse(File.ReadLines(path), path);
    }

    /// <summary>Parses golden-set lines; <paramref name="source"/> names the file in errors.</summary>
    public static IReadOnlyList<GoldenCase> Parse(IEnumerable<string> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var cases = new List<GoldenCase>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in lines)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (text.Length > MaxLineChars) throw Error(source, line, $"the line is {text.Length} characters; the limit is {MaxLineChars}.");
            if (cases.Count >= MaxCases) throw Error(source, line, $"more than {MaxCases} cases; split the golden set.");
            JsonElement item;
            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
                item = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw Error(source, line, $"invalid JSON at byte {(e.BytePositionInLine ?? 0) + 1}: {e.Message}");
            }
            if (item.ValueKind != JsonValueKind.Object) throw Error(source, line, "each line must be a JSON object.");
            if (Hone.Data.Jsonl.JsonEscapes.FindLoneSurrogate(text.AsSpan()) is var lone and >= 0)
                throw new EvalSpecException($"{source}:{line}:{lone + 1}: the escape {text.AsSpan(lone, 6)} is half of a UTF-16 surrogate pair without its other half; no text can hold it. Remove it or write the whole character.");
            var c = ParseCase(item, source, line);
            if (ids.TryGetValue(c.Id, out var first)) throw Error(source, line, $"id '{c.Id}' is already used on line {first}; ids must be unique.");
            ids[c.Id] = line;
            cases.Add(c);
        }
        if (cases.Count == 0) throw new EvalSpecException($"{source}: the golden set has no cases.");
        return cases;
    }

    private static GoldenCase ParseCase(JsonElement item, string source, int line)
    {
        string id = $"line-{line}";
        if (item.TryGetProperty("id", out var idEl))
        {
            id = idEl.ValueKind switch
            {
                JsonValueKind.String when !string.IsNullOrWhiteSpace(idEl.GetString()) => idEl.GetString()!,
                JsonValueKind.Number => idEl.GetRawText(),
                _ => throw Error(source, line, "'id' must be a non-empty string or an integer."),
            };
        }
        var tags = new List<string>();
        if (item.TryGetProperty("tags", out var tagsEl))
        {
            if (tagsEl.ValueKind != JsonValueKind.Array) throw Error(source, line, "'tags' must be an array of strings, e.g. [\"negation\", \"long-input\"].");
            foreach (var t in tagsEl.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString()))
                    throw Error(source, line, "'tags' must hold non-empty strings.");
                if (!tags.Contains(t.GetString()!, StringComparer.Ordinal)) tags.Add(t.GetString()!);
            }
        }
        IReadOnlyList<ChatMessage>? messages = null;
        if (item.TryGetProperty("messages", out var msgs))
        {
            try { messages = ChatJson.ParseMessages(msgs, dropTrailingAssistant: true); }
            catch (Exception e) when (e is FormatException or Hone.Data.Model.OpenAiChatException) { throw Error(source, line, e.Message); }
        }
        IReadOnlyList<AITool> tools = [];
        if (item.TryGetProperty("tools", out var toolsEl))
        {
            try { tools = ChatJson.ParseTools(toolsEl); }
            catch (Exception e) when (e is FormatException or Hone.Data.Model.OpenAiChatException) { throw Error(source, line, e.Message); }
        }
        return new GoldenCase(id, line, item, messages, tools, tags);
    }

    private static EvalSpecException Error(string source, int line, string message) => new($"{source}:{line}: {message}");
}
