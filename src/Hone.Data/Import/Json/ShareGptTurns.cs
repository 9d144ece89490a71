using System.Globalization;
using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Import.Json;

/// <summary>
/// Converts ShareGPT turns to OpenAI chat messages. A <c>function_call</c> turn becomes an assistant message with
/// <c>tool_calls</c> (ids <c>call_R_K</c>: record R, K-th call of the record, so ids are unique and stable), and an
/// <c>observation</c> turn becomes a <c>tool</c> message answering the oldest call not yet answered (an observation
/// that is a JSON list with one element per pending call answers each of them in order).
/// </summary>
internal static class ShareGptTurns
{
    public static List<ChatMessage> Convert(JsonElement turns, ShareGptTags tags, long record, string path)
    {
        var messages = new List<ChatMessage>();
        var pending = new Queue<string>();
        var callCount = 0;
        var i = 0;
        foreach (var turn in turns.EnumerateArray())
        {
            var at = $"{path}[{i}]";
            i++;
            RecordJson.Object(turn, at);
            var role = RecordJson.OptionalString(turn, tags.RoleKey, at) ?? RecordJson.OptionalString(turn, "role", at)
                ?? throw new RecordProblemException($"{at}.{tags.RoleKey} is missing; every turn needs a role.");
            var value = ReadValue(turn, tags, at);
            if (role == tags.UserTag || role == OpenAiRoles.User) messages.Add(new ChatMessage(ChatRole.User, value));
            else if (role == tags.AssistantTag || role == OpenAiRoles.Assistant) messages.Add(new ChatMessage(ChatRole.Assistant, value));
            else if (role == tags.SystemTag || role == OpenAiRoles.System) messages.Add(new ChatMessage(ChatRole.System, value));
            else if (role == tags.FunctionTag)
            {
                var calls = ParseCalls(value, record, ref callCount, at);
                foreach (var c in calls) pending.Enqueue(c.CallId);
                messages.Add(new ChatMessage(ChatRole.Assistant, [.. calls]));
            }
            else if (role == tags.ObservationTag || role == OpenAiRoles.Tool)
            {
                if (pending.Count == 0)
                    throw new RecordProblemException($"{at} is a tool result ('{role}') but no function call before it is waiting for one.");
                foreach (var (id, content) in SplitObservation(value, pending.Count)) 
                {
                    _ = pending.Dequeue();
                    messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(id, content)]));
                }
            }
            else
            {
                throw new RecordProblemException(
                    $"{at}.{tags.RoleKey} is '{role}', not one of {tags.UserTag}, {tags.AssistantTag}, {tags.SystemTag}, {tags.FunctionTag}, {tags.ObservationTag}; map your tags in the import options.");
            }
        }
        return messages;

        IEnumerable<(string Id, string Content)> SplitObservation(string value, int waiting)
        {
            if (waiting > 1 && value.TrimStart().StartsWith('['))
            {
                try
                {
                    using var doc = JsonDocument.Parse(value);
                    if (doc.RootElement.GetArrayLength() == waiting)
                        return doc.RootElement.EnumerateArray().Select(e => e.GetRawText()).Zip(pending.ToArray(), (c, id) => (id, c)).ToList();
                }
                catch (JsonException)
                {
                    // Not a JSON list: one result for the oldest call.
                }
            }
            return [(pending.Peek(), value)];
        }
    }

    public static string ReadValue(JsonElement turn, ShareGptTags tags, string at)
    {
        var value = RecordJson.OptionalString(turn, tags.ContentKey, at) ?? RecordJson.OptionalString(turn, "content", at);
        return value ?? throw new RecordProblemException($"{at}.{tags.ContentKey} is missing; every turn needs its text.");
    }

    private static List<FunctionCallContent> ParseCalls(string value, long record, ref int callCount, string at)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(value);
        }
        catch (JsonException e)
        {
            throw new RecordProblemException($"{at} is a function call whose value is not JSON ({e.Message}); expected {{\"name\": ..., \"arguments\": {{...}}}}.");
        }
        using (doc)
        {
            var items = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToList() : [doc.RootElement];
            if (items.Count == 0) throw new RecordProblemException($"{at} is a function call with an empty list of calls.");
            var calls = new List<FunctionCallContent>(items.Count);
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object) throw new RecordProblemException($"{at}: a function call is {RecordJson.Kind(item)}, expected {{\"name\": ..., \"arguments\": {{...}}}}.");
                var name = RecordJson.RequiredString(item, "name", at);
                var args = item.TryGetProperty("arguments", out var a)
                    ? a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText()
                    : "{}";
                callCount++;
                calls.Add(OpenAiChatReader.ToolCall(string.Create(CultureInfo.InvariantCulture, $"call_{record}_{callCount}"), name, args));
            }
            return calls;
        }
    }

    /// <summary>Reads a tool list given as a JSON string or a list; items are bare functions or OpenAI tools.</summary>
    public static List<ToolDefinition>? ParseTools(JsonElement record, string key, string path)
    {
        if (!record.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        JsonDocument? owned = null;
        try
        {
            if (v.ValueKind == JsonValueKind.String)
            {
                var text = v.GetString()!;
                if (text.Trim().Length == 0) return null;
                try
                {
                    owned = JsonDocument.Parse(text);
                }
                catch (JsonException e)
                {
                    throw new RecordProblemException($"{path}.{key} is a string that is not JSON ({e.Message}); expected a list of functions.");
                }
                v = owned.RootElement;
            }
            if (v.ValueKind != JsonValueKind.Array) throw new RecordProblemException($"{path}.{key} is {RecordJson.Kind(v)}, expected a list of functions.");
            var tools = new List<ToolDefinition>();
            var i = 0;
            foreach (var t in v.EnumerateArray())
            {
                var at = $"{path}.{key}[{i++}]";
                RecordJson.Object(t, at);
                var fn = t.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : t;
                FunctionDefinition def;
                try
                {
                    def = fn.Deserialize<FunctionDefinition>(OpenAiJson.Options)!;
                }
                catch (JsonException e)
                {
                    throw new RecordProblemException($"{at} is not a function definition ({e.Message}).");
                }
                if (string.IsNullOrEmpty(def.Name)) throw new RecordProblemException($"{at}.name is missing; every tool needs a name.");
                def.Extra = null;
                if (fn.TryGetProperty("strict", out var strict))
                    def.Extra = new Dictionary<string, JsonElement> { ["strict"] = strict.Clone() };
                tools.Add(new ToolDefinition { Function = def });
            }
            return tools.Count == 0 ? null : tools;
        }
        finally
        {
            owned?.Dispose();
        }
    }
}
