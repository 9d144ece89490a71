using System.Text.Json;
using Hone.Data.Model;

namespace Hone.Data.Checks;

/// <summary>What a validated list of messages contained.</summary>
internal sealed class MessageListSummary
{
    public bool HasSystem { get; set; }
    public bool HasUser { get; set; }
    public bool HasAssistant { get; set; }
    public string? LastRole { get; set; }
    public int Count { get; set; }
}

/// <summary>
/// Checks a <c>messages</c> list: the cookbook's per-message rules (<c>data_type</c>, <c>message_missing_key</c>,
/// <c>message_unrecognized_key</c>, <c>unrecognized_role</c>, <c>missing_content</c>), adapted so an assistant message
/// may carry <c>tool_calls</c>/<c>function_call</c> instead of content, plus weights and the tool-call protocol.
/// </summary>
internal static class MessageListValidator
{
    private static readonly string[] AllowedKeys = ["role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"];

    /// <summary>Whether the key is one a message may have (compared in place: no string made per key).</summary>
    private static bool IsAllowed(JsonProperty p)
    {
        foreach (var k in AllowedKeys)
            if (p.NameEquals(k)) return true;
        return false;
    }

    /// <summary>
    /// Validates <paramref name="messages"/> (already known to be an array) found at <paramref name="basePath"/>.
    /// <paramref name="declared"/> holds the function names from <c>tools</c>/<c>functions</c>, or null when none were declared.
    /// <paramref name="priorCalls"/> carries call ids from earlier lists (DPO outputs answer the input's calls), may be null.
    /// </summary>
    public static MessageListSummary Validate(JsonElement messages, string basePath, HashSet<string>? declared, FindingSink sink)
    {
        var summary = new MessageListSummary();
        var calls = new HashSet<string>(StringComparer.Ordinal);
        var pending = new List<(string Id, string Path)>();
        var pendingLegacy = (string?)null;
        var i = -1;
        foreach (var m in messages.EnumerateArray())
        {
            i++;
            var path = new MessagePath(basePath, i); // its text is made only for a finding
            summary.Count++;
            if (m.ValueKind != JsonValueKind.Object)
            {
                sink.Error(FindingCodes.DataType, path.Text, $"message {i} is a JSON {Kind(m)}, not an object.",
                    "Make each message an object like {\"role\": \"user\", \"content\": \"...\"}.");
                continue;
            }

            string? role = null;
            if (!m.TryGetProperty("role", out var roleEl))
            {
                sink.Error(FindingCodes.MessageMissingKey, path.Text, $"message {i} has no \"role\".", "Add \"role\": one of system, user, assistant, tool.");
            }
            else if (roleEl.ValueKind != JsonValueKind.String || !OpenAiRoles.IsKnown(role = roleEl.GetString()))
            {
                sink.Error(FindingCodes.UnrecognizedRole, path.Text + ".role", $"message {i} has role {roleEl.GetRawText()}, which OpenAI does not accept.",
                    "Use one of: system, developer, user, assistant, tool (function for legacy data).");
                role = null;
            }

            foreach (var p in m.EnumerateObject())
            {
                if (!IsAllowed(p))
                {
                    sink.Error(FindingCodes.MessageUnrecognizedKey, $"{path.Text}.{p.Name}", $"message {i} has the key \"{p.Name}\", which OpenAI does not accept.",
                        "Remove the key (or move the data out of the message); allowed: role, content, name, weight, tool_calls, tool_call_id, function_call.");
                }
            }

            // A non-tool message after an assistant turn with open calls: those calls were never answered.
            if (role is not (OpenAiRoles.Tool or OpenAiRoles.Function) && (pending.Count > 0 || pendingLegacy is not null))
            {
                foreach (var (id, callPath) in pending)
                {
                    sink.Error(FindingCodes.UnansweredToolCall, callPath, $"tool call \"{id}\" is never answered: message {i} ({role ?? "?"}) follows without a tool message for it.",
                        $"Add {{\"role\": \"tool\", \"tool_call_id\": \"{id}\", \"content\": \"...\"}} right after the call, or end the example at the call.");
                }
                if (pendingLegacy is not null)
                {
                    sink.Error(FindingCodes.UnansweredToolCall, pendingLegacy, $"function_call is never answered: message {i} ({role ?? "?"}) follows without a function message.",
                        "Add {\"role\": \"function\", \"name\": \"...\", \"content\": \"...\"} right after the call, or end the example at the call.");
                }
                pending.Clear();
                pendingLegacy = null;
            }

            var hasCall = false;
            if (m.TryGetProperty("tool_calls", out var tc))
            {
                hasCall = CheckToolCalls(tc, path.Text + ".tool_calls", role, declared, calls, pending, sink);
            }
            if (m.TryGetProperty("function_call", out var fc))
            {
                if (CheckFunctionCall(fc, path.Text + ".function_call", role, declared, sink)) { hasCall = true; pendingLegacy = path.Text + ".function_call"; }
            }

            CheckContent(m, path, i, hasCall, sink);

            if (m.TryGetProperty("weight", out var w))
            {
                if (role is not null and not OpenAiRoles.Assistant)
                {
                    sink.Error(FindingCodes.WeightOnNonAssistant, path.Text + ".weight", $"message {i} is a {role} message with a \"weight\"; only assistant messages take weights.",
                        "Remove \"weight\" from the message.");
                }
                if (w.ValueKind != JsonValueKind.Number || !w.TryGetDouble(out var wv) || (wv != 0 && wv != 1))
                {
                    sink.Error(FindingCodes.InvalidWeight, path.Text + ".weight", $"message {i} has weight {w.GetRawText()}; a weight is 0 (do not train on this message) or 1.",
                        "Set \"weight\" to 0 or 1.");
                }
            }

            if (role == OpenAiRoles.Tool)
            {
                if (!m.TryGetProperty("tool_call_id", out var idEl) || idEl.ValueKind != JsonValueKind.String)
                {
                    sink.Error(FindingCodes.MessageMissingKey, path.Text, $"tool message {i} has no string \"tool_call_id\".",
                        "Add \"tool_call_id\" with the id of the assistant tool call it answers.");
                }
                else if (!calls.Contains(idEl.GetString()!))
                {
                    sink.Error(FindingCodes.UnknownToolCallId, path.Text + ".tool_call_id", $"tool message {i} answers \"{idEl.GetString()}\", which matches no earlier tool call.",
                        "Use the id of an assistant tool call that comes before this message.");
                }
                else
                {
                    var id = idEl.GetString()!;
                    pending.RemoveAll(p => p.Id == id);
                }
            }
            else if (role == OpenAiRoles.Function)
            {
                pendingLegacy = null;
            }

            switch (role)
            {
                case OpenAiRoles.System or OpenAiRoles.Developer: summary.HasSystem = true; break;
                case OpenAiRoles.User: summary.HasUser = true; break;
                case OpenAiRoles.Assistant: summary.HasAssistant = true; break;
            }
            summary.LastRole = role;
        }
        return summary;
    }

    private static void CheckContent(JsonElement m, MessagePath path, int i, bool hasCall, FindingSink sink)
    {
        if (!m.TryGetProperty("content", out var c))
        {
            if (!hasCall)
            {
                sink.Error(FindingCodes.MessageMissingKey, path.Text, $"message {i} has no \"content\".",
                    "Add \"content\" (only an assistant message that calls tools may leave it out).");
            }
            return;
        }
        switch (c.ValueKind)
        {
            case JsonValueKind.String:
                if (c.ValueEquals(ReadOnlySpan<char>.Empty) && !hasCall)
                    sink.Error(FindingCodes.MissingContent, path.Text + ".content", $"message {i} has empty content.", "Write the message text, or remove the message.");
                return;
            case JsonValueKind.Null:
                if (!hasCall)
                    sink.Error(FindingCodes.MissingContent, path.Text + ".content", $"message {i} has null content and no tool call.", "Write the message text, or remove the message.");
                return;
            case JsonValueKind.Array:
                var j = -1;
                var any = false;
                foreach (var part in c.EnumerateArray())
                {
                    j++;
                    var pp = $"{path.Text}.content[{j}]";
                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                    {
                        sink.Error(FindingCodes.MissingContent, pp, $"content part {j} of message {i} is not an object with a string \"type\".",
                            "Write each part as {\"type\": \"text\", \"text\": \"...\"} (or another OpenAI part type).");
                        continue;
                    }
                    if (t.GetString() == "text" && (!part.TryGetProperty("text", out var tx) || tx.ValueKind != JsonValueKind.String))
                    {
                        sink.Error(FindingCodes.MissingContent, pp, $"text part {j} of message {i} has no string \"text\".", "Add \"text\": \"...\" to the part.");
                        continue;
                    }
                    any = true;
                }
                if (!any && !hasCall)
                    sink.Error(FindingCodes.MissingContent, path.Text + ".content", $"message {i} has no usable content part.", "Give the message at least one text part.");
                return;
            default:
                sink.Error(FindingCodes.MissingContent, path.Text + ".content", $"message {i} has content of type {Kind(c)}; content must be a string or a list of parts.",
                    "Make \"content\" a string.");
                return;
        }
    }

    private static bool CheckToolCalls(JsonElement tc, string path, string? role, HashSet<string>? declared, HashSet<string> calls,
        List<(string Id, string Path)> pending, FindingSink sink)
    {
        if (role is not null and not OpenAiRoles.Assistant)
        {
            sink.Error(FindingCodes.MalformedToolCall, path, $"a {role} message carries \"tool_calls\"; only assistant messages call tools.", "Move the calls to an assistant message.");
        }
        if (tc.ValueKind != JsonValueKind.Array || tc.GetArrayLength() == 0)
        {
            sink.Error(FindingCodes.MalformedToolCall, path, "\"tool_calls\" must be a non-empty list.", "Give a list of {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}} or remove the key.");
            return false;
        }
        var k = -1;
        foreach (var call in tc.EnumerateArray())
        {
            k++;
            var cp = $"{path}[{k}]";
            if (call.ValueKind != JsonValueKind.Object)
            {
                sink.Error(FindingCodes.MalformedToolCall, cp, $"tool call {k} is not an object.", "Write {\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"...\", \"arguments\": \"{}\"}}.");
                continue;
            }
            if (!call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString()!.Length == 0)
                sink.Error(FindingCodes.MalformedToolCall, cp + ".id", $"tool call {k} has no string \"id\".", "Add \"id\" (e.g. \"call_1\"), which the tool message's tool_call_id repeats.");
            else
            {
                calls.Add(id.GetString()!);
                pending.Add((id.GetString()!, cp));
            }
            if (!call.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
                sink.Error(FindingCodes.MalformedToolCall, cp + ".type", $"tool call {k} has no \"type\": \"function\".", "Add \"type\": \"function\".");
            if (!call.TryGetProperty("function", out var fn) || fn.ValueKind != JsonValueKind.Object)
                sink.Error(FindingCodes.MalformedToolCall, cp + ".function", $"tool call {k} has no \"function\" object.", "Add \"function\": {\"name\": \"...\", \"arguments\": \"{...}\"}.");
            else CheckFunction(fn, cp + ".function", declared, sink);
        }
        return true;
    }

    private static bool CheckFunctionCall(JsonElement fc, string path, string? role, HashSet<string>? declared, FindingSink sink)
    {
        if (fc.ValueKind != JsonValueKind.Object)
        {
            sink.Error(FindingCodes.MalformedToolCall, path, "\"function_call\" is not an object.", "Write {\"name\": \"...\", \"arguments\": \"{...}\"}.");
            return false;
        }
        if (role is not null and not OpenAiRoles.Assistant)
            sink.Error(FindingCodes.MalformedToolCall, path, $"a {role} message carries \"function_call\"; only assistant messages call functions.", "Move the call to an assistant message.");
        CheckFunction(fc, path, declared, sink);
        return true;
    }

    private static void CheckFunction(JsonElement fn, string path, HashSet<string>? declared, FindingSink sink)
    {
        if (!fn.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
        {
            sink.Error(FindingCodes.MalformedToolCall, path + ".name", "the called function has no \"name\".", "Add the function's \"name\".");
        }
        else if (declared is null)
        {
            sink.Warning(FindingCodes.UnknownFunction, path + ".name", $"\"{name.GetString()}\" is called but the example declares no tools.",
                "Add a top-level \"tools\" list declaring the function (the model must see what it may call).");
        }
        else if (!declared.Contains(name.GetString()!))
        {
            sink.Error(FindingCodes.UnknownFunction, path + ".name", $"\"{name.GetString()}\" is called but not declared in \"tools\".",
                "Declare the function in \"tools\", or fix the name.");
        }

        if (!fn.TryGetProperty("arguments", out var args) || args.ValueKind != JsonValueKind.String)
        {
            sink.Error(FindingCodes.ToolArgumentsInvalidJson, path + ".arguments", "\"arguments\" is missing or not a string; OpenAI expects a string holding a JSON object.",
                "Write \"arguments\": \"{\\\"key\\\": value}\" (the JSON encoded as a string).");
            return;
        }
        try
        {
            using var _ = JsonDocument.Parse(args.GetString()!);
        }
        catch (JsonException e)
        {
            sink.Error(FindingCodes.ToolArgumentsInvalidJson, path + ".arguments", $"\"arguments\" is not valid JSON (at byte {(e.BytePositionInLine ?? 0) + 1}).",
                "Make arguments a JSON-encoded object, e.g. \"{\\\"city\\\": \\\"Paris\\\"}\".");
        }
    }

    /// <summary>The function names declared by <c>tools</c> and legacy <c>functions</c> of an object; null when neither key is present.</summary>
    public static HashSet<string>? DeclaredFunctions(JsonElement owner)
    {
        HashSet<string>? names = null;
        if (owner.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in tools.EnumerateArray())
            {
                if (t.ValueKind == JsonValueKind.Object && t.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
                    && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    names.Add(n.GetString()!);
            }
        }
        if (owner.TryGetProperty("functions", out var fns) && fns.ValueKind == JsonValueKind.Array)
        {
            names ??= new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in fns.EnumerateArray())
            {
                if (f.ValueKind == JsonValueKind.Object && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    names.Add(n.GetString()!);
            }
        }
        return names;
    }

    public static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    /// <summary>A message's JSON path (<c>base[i]</c>), its text made only when asked for (for a finding: a valid message never asks).</summary>
    private readonly struct MessagePath(string basePath, int index)
    {
        public string Text => $"{basePath}[{index}]";
    }
}
