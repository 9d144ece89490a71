using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hone.Data.Model;

/// <summary>A tool offered to the model: <c>{"type": "function", "function": {"name", "description", "parameters"}}</c>.</summary>
public sealed class ToolDefinition
{
    /// <summary><c>type</c>: "function".</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "function";

    /// <summary><c>function</c>: the declared function.</summary>
    [JsonPropertyName("function")]
    public FunctionDefinition Function { get; set; } = new();

    /// <summary>Any other key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>A declared function (inside a tool, or in the legacy top-level <c>functions</c> list).</summary>
public sealed class FunctionDefinition
{
    /// <summary><c>name</c></summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary><c>description</c>, optional.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; set; }

    /// <summary><c>parameters</c>: a JSON Schema, kept verbatim.</summary>
    [JsonPropertyName("parameters")]
    public JsonElement? Parameters { get; set; }

    /// <summary>Any other key (e.g. <c>strict</c>), kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
