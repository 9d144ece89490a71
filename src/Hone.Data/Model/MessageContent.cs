using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hone.Data.Model;

/// <summary>
/// The <c>content</c> of a chat message: either a plain string or a list of content parts
/// (<c>[{"type":"text","text":"..."}, {"type":"image_url", ...}]</c>). Exactly one of <see cref="Text"/> and
/// <see cref="Parts"/> is set; it serialises back to the same shape it was read from.
/// </summary>
[JsonConverter(typeof(MessageContentConverter))]
public sealed class MessageContent
{
    /// <summary>Content given as a plain string.</summary>
    public MessageContent(string text) => Text = text ?? throw new ArgumentNullException(nameof(text));

    /// <summary>Content given as a list of parts.</summary>
    public MessageContent(IReadOnlyList<ContentPart> parts) => Parts = parts ?? throw new ArgumentNullException(nameof(parts));

    /// <summary>The string form, or null when the content is a list of parts.</summary>
    public string? Text { get; }

    /// <summary>The parts form, or null when the content is a plain string.</summary>
    public IReadOnlyList<ContentPart>? Parts { get; }

    /// <summary>All text of the content: the string, or the text parts joined without separator.</summary>
    public string AllText()
    {
        if (Text is not null) return Text;
        var sb = new StringBuilder();
        foreach (var p in Parts!)
        {
            if (p.Text is not null) sb.Append(p.Text);
        }
        return sb.ToString();
    }

    /// <summary>Plain string content.</summary>
    public static implicit operator MessageContent(string text) => new(text);

    /// <summary>Plain string content (named alternative to the implicit conversion).</summary>
    public static MessageContent FromString(string text) => new(text);

    /// <inheritdoc/>
    public override string ToString() => AllText();
}

/// <summary>One element of a list-form <c>content</c>: <c>{"type": "text", "text": "..."}</c> or any other part, kept verbatim.</summary>
public sealed class ContentPart
{
    /// <summary><c>type</c>: "text", "image_url", "input_audio", "file", ...</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "text";

    /// <summary><c>text</c> for text parts; null otherwise.</summary>
    [JsonPropertyName("text")]
    public string? Text { get; set; }

    /// <summary>Every other key of the part (e.g. <c>image_url</c>), kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Reads and writes <see cref="MessageContent"/> as either a JSON string or an array of parts.</summary>
public sealed class MessageContentConverter : JsonConverter<MessageContent>
{
    /// <inheritdoc/>
    public override MessageContent? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return new MessageContent(reader.GetString()!);
            case JsonTokenType.StartArray:
                var parts = JsonSerializer.Deserialize<List<ContentPart>>(ref reader, options)
                    ?? throw new JsonException("content: the list of parts is null.");
                foreach (var p in parts)
                {
                    if (p is null) throw new JsonException("content: a part is null; each part must be an object with a \"type\".");
                }
                return new MessageContent(parts);
            default:
                throw new JsonException($"content must be a string or a list of parts, not {reader.TokenType switch
                {
                    JsonTokenType.Number => "a number",
                    JsonTokenType.True or JsonTokenType.False => "true or false",
                    JsonTokenType.StartObject => "an object",
                    _ => reader.TokenType.ToString().ToLowerInvariant(),
                }}.");
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, MessageContent value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Text is not null) writer.WriteStringValue(value.Text);
        else JsonSerializer.Serialize(writer, value.Parts, options);
    }
}
