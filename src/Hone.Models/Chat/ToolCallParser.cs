using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Hone.Models.Chat;

/// <summary>The model's text split into plain content and the tool calls it made.</summary>
/// <param name="Text">The text outside the tool calls (trimmed; empty when the output was only calls).</param>
/// <param name="Calls">The calls, in order; an unparseable call keeps its raw text under "_raw" and carries the exception.</param>
public sealed record ParsedToolCalls(string Text, IReadOnlyList<FunctionCallContent> Calls);

/// <summary>
/// Reads tool calls from a model's output in the syntaxes chat templates teach: Hermes/Qwen
/// <c>&lt;tool_call&gt;{"name":…,"arguments":{…}}&lt;/tool_call&gt;</c> blocks, Llama 3 JSON
/// (<c>{"name":…,"parameters":{…}}</c>, optionally after <c>&lt;|python_tag|&gt;</c>, several separated by ';'),
/// and Mistral <c>[TOOL_CALLS] [{…}, …]</c>. Only names of declared tools count as calls.
/// </summary>
public static class ToolCallParser
{
    private const string OpenTag = "<tool_call>";
    private const string CloseTag = "</tool_call>";
    private const string PythonTag = "<|python_tag|>";
    private const string MistralTag = "[TOOL_CALLS]";

    /// <summary>Parses <paramref name="output"/>; <paramref name="toolNames"/> are the declared tools (null: any name).</summary>
    public static ParsedToolCalls Parse(string output, IReadOnlyCollection<string>? toolNames = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        int counter = 0;
        string NextId() => "call_" + (counter++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool Known(string name) => toolNames is null || toolNames.Contains(name);

        if (output.Contains(OpenTag, StringComparison.Ordinal))
        {
            var calls = new List<FunctionCallContent>();
            var text = new System.Text.StringBuilder();
            int pos = 0;
            while (pos < output.Length)
            {
                int open = output.IndexOf(OpenTag, pos, StringComparison.Ordinal);
                if (open < 0)
                {
                    text.Append(output, pos, output.Length - pos);
                    break;
                }

                text.Append(output, pos, open - pos);
                int bodyStart = open + OpenTag.Length;
                int close = output.IndexOf(CloseTag, bodyStart, StringComparison.Ordinal);
                var body = close < 0 ? output[bodyStart..] : output[bodyStart..close];
                pos = close < 0 ? output.Length : close + CloseTag.Length;
                if (TryReadCall(body.Trim(), NextId(), out var call) && Known(call.Name))
                {
                    calls.Add(call);
                }
                else if (call is not null && call.Exception is not null)
                {
                    calls.Add(call);
                }
                else
                {
                    text.Append(output, open, pos - open);
                }
            }

            return new ParsedToolCalls(text.ToString().Trim(), calls);
        }

        var trimmed = output.Trim();
        string? payload = null;
        if (trimmed.StartsWith(MistralTag, StringComparison.Ordinal))
        {
            payload = trimmed[MistralTag.Length..].Trim();
        }
        else if (trimmed.Contains(PythonTag, StringComparison.Ordinal))
        {
            payload = trimmed[(trimmed.IndexOf(PythonTag, StringComparison.Ordinal) + PythonTag.Length)..].Trim();
        }
        else if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            payload = trimmed;
        }

        if (payload is not null && TryReadPayload(payload, NextId, out var found) && found.Count > 0 && found.All(c => Known(c.Name)))
        {
            var prefix = trimmed.Contains(PythonTag, StringComparison.Ordinal)
                ? trimmed[..trimmed.IndexOf(PythonTag, StringComparison.Ordinal)].Trim()
                : "";
            return new ParsedToolCalls(prefix, found);
        }

        return new ParsedToolCalls(output, []);
    }

    /// <summary>A JSON array of calls, one call object, or several call objects separated by ';' (Llama 3.x).</summary>
    private static bool TryReadPayload(string payload, Func<string> nextId, out List<FunctionCallContent> calls)
    {
        calls = [];
        try
        {
            using var doc = JsonDocument.Parse(payload);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in doc.RootElement.EnumerateArray())
                {
                    if (!TryFromElement(item, nextId(), out var c))
                    {
                        return false;
                    }

                    calls.Add(c);
                }

                return true;
            }

            if (TryFromElement(doc.RootElement, nextId(), out var one))
            {
                calls.Add(one);
                return true;
            }

            return false;
        }
        catch (JsonException)
        {
            if (!payload.Contains(';', StringComparison.Ordinal))
            {
                return false;
            }

            foreach (var part in payload.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TryReadCall(part, nextId(), out var c) || c.Exception is not null)
                {
                    calls.Clear();
                    return false;
                }

                calls.Add(c);
            }

            return true;
        }
    }

    /// <summary>One call object; on malformed JSON, a call named "" carrying the exception (so the caller can report it).</summary>
    private static bool TryReadCall(string json, string id, out FunctionCallContent call)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return TryFromElement(doc.RootElement, id, out call);
        }
        catch (JsonException e)
        {
            call = new FunctionCallContent(id, "", new Dictionary<string, object?> { ["_raw"] = json }) { Exception = e };
            return false;
        }
    }

    private static bool TryFromElement(JsonElement e, string id, out FunctionCallContent call)
    {
        call = null!;
        if (e.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // OpenAI-shaped {"type":"function","function":{...}} is accepted too.
        if (e.TryGetProperty("function", out var inner) && inner.ValueKind == JsonValueKind.Object)
        {
            e = inner;
        }

        if (!e.TryGetProperty("name", out var nameEl) || nameEl.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(nameEl.GetString()))
        {
            return false;
        }

        JsonElement args = default;
        bool hasArgs = e.TryGetProperty("arguments", out args) || e.TryGetProperty("parameters", out args);
        var dict = new Dictionary<string, object?>();
        if (hasArgs && args.ValueKind == JsonValueKind.String)
        {
            // Arguments given as a JSON string (OpenAI style).
            try
            {
                using var argDoc = JsonDocument.Parse(args.GetString()!);
                args = argDoc.RootElement.Clone();
            }
            catch (JsonException)
            {
                return false;
            }
        }

        if (hasArgs && args.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in args.EnumerateObject())
            {
                dict[p.Name] = p.Value.Clone();
            }
        }
        else if (hasArgs && args.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return false;
        }

        var callId = e.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String ? idEl.GetString()! : id;
        call = new FunctionCallContent(callId, nameEl.GetString()!, dict);
        return true;
    }
}
