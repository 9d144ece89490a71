using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Graders;

/// <summary>
/// One tool (function) call made by the model: its function name and its arguments as the raw JSON text the model
/// produced (which may be invalid JSON; graders that need it parsed report a parse error).
/// </summary>
/// <param name="Name">The function name.</param>
/// <param name="ArgumentsJson">The arguments exactly as produced, normally a JSON object.</param>
/// <param name="Id">The call id, if the provider gave one.</param>
public sealed record ToolCall(string Name, string ArgumentsJson, string? Id = null);

/// <summary>
/// The model output being graded, the <c>sample</c> namespace of OpenAI's grader templates.
/// </summary>
public sealed class GradeSample
{
    /// <summary>Creates a sample; <see cref="OutputJson"/> is parsed from <paramref name="outputText"/> when it is valid JSON.</summary>
    /// <param name="outputText">The model's text output.</param>
    /// <param name="outputTools">The tool calls the model made, in order; none when null.</param>
    public GradeSample(string outputText, IReadOnlyList<ToolCall>? outputTools = null)
    {
        ArgumentNullException.ThrowIfNull(outputText);
        OutputText = outputText;
        OutputTools = outputTools ?? [];
        OutputJson = TryParse(outputText);
    }

    /// <summary>
    /// The sample for a chat response: its text (<see cref="ChatResponse.Text"/>, the text of all its messages) and its
    /// function calls in order, each with its arguments serialised as a JSON object.
    /// </summary>
    public static GradeSample FromChatResponse(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var tools = new List<ToolCall>();
        foreach (var m in response.Messages)
        {
            foreach (var c in m.Contents.OfType<FunctionCallContent>())
            {
                var args = c.Arguments is null
                    ? "{}"
                    : JsonSerializer.Serialize(c.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
                tools.Add(new ToolCall(c.Name, args, string.IsNullOrEmpty(c.CallId) ? null : c.CallId));
            }
        }
        return new GradeSample(response.Text, tools);
    }

    /// <summary>The model output content as a string (<c>sample.output_text</c>).</summary>
    public string OutputText { get; }

    /// <summary>The output parsed as JSON (<c>sample.output_json</c>), or null when the text is not valid JSON.</summary>
    public JsonElement? OutputJson { get; }

    /// <summary>The tool calls the model made (<c>sample.output_tools</c>).</summary>
    public IReadOnlyList<ToolCall> OutputTools { get; }

    /// <summary>
    /// The <c>sample</c> namespace as JSON: <c>output_text</c>, <c>output_json</c> (absent when the text is not JSON) and
    /// <c>output_tools</c> in OpenAI's chat-completions shape:
    /// <c>[{"id": "...", "type": "function", "function": {"name": "...", "arguments": "&lt;JSON text&gt;"}}]</c>.
    /// </summary>
    public JsonElement ToJson()
    {
        var tools = new JsonArray();
        foreach (var t in OutputTools)
        {
            tools.Add(new JsonObject
            {
                ["id"] = t.Id ?? "",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = t.Name, ["arguments"] = t.ArgumentsJson },
            });
        }
        var obj = new JsonObject { ["output_text"] = OutputText, ["output_tools"] = tools };
        if (OutputJson is { } j) obj["output_json"] = JsonNode.Parse(j.GetRawText());
        return JsonSerializer.SerializeToElement(obj);
    }

    private static JsonElement? TryParse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// What a grader sees: the golden-set item (the <c>item</c> namespace, its fields as JSON) and the model's sample.
/// </summary>
public sealed class GradeContext
{
    private JsonElement? _sampleJson;

    /// <summary>Creates a context.</summary>
    /// <param name="item">The golden-set item; normally a JSON object.</param>
    /// <param name="sample">The model output.</param>
    public GradeContext(JsonElement item, GradeSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        Item = item;
        Sample = sample;
    }

    /// <summary>Creates a context from the item's JSON text and the model's text output (no tool calls).</summary>
    public static GradeContext FromJson(string itemJson, string outputText, IReadOnlyList<ToolCall>? tools = null)
    {
        using var doc = JsonDocument.Parse(itemJson);
        return new GradeContext(doc.RootElement.Clone(), new GradeSample(outputText, tools));
    }

    /// <summary>The golden-set item (<c>item</c> namespace).</summary>
    public JsonElement Item { get; }

    /// <summary>The model output (<c>sample</c> namespace).</summary>
    public GradeSample Sample { get; }

    /// <summary>The sample namespace as JSON, computed once.</summary>
    public JsonElement SampleJson => _sampleJson ??= Sample.ToJson();
}
