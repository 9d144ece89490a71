using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Core;

namespace Hone.Data.Model;

/// <summary>
/// Parses one JSONL line into a typed example and serialises an example back to one line of the exact OpenAI shape
/// (null keys omitted, unknown keys kept, no indentation, non-ASCII written as is). Messages are Microsoft.Extensions.AI
/// <see cref="Microsoft.Extensions.AI.ChatMessage"/>s, read and written by <see cref="OpenAiChatReader"/> and
/// <see cref="OpenAiChatWriter"/> (<see cref="ChatMessageJsonConverter"/>).
/// </summary>
public static class OpenAiJson
{
    /// <summary>The serializer options every OpenAI JSONL read and write uses.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = false,
            MaxDepth = 64,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            Converters = { new ChatMessageJsonConverter() },
        };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Parses a chat SFT example.</summary>
    /// <exception cref="DataFormatException">The line is not a valid chat example; the message says where.</exception>
    public static ChatExample ParseChat(string line, string source = "<input>", long lineNumber = 0) =>
        Parse<ChatExample>(line, source, lineNumber);

    /// <summary>Parses a preference (DPO) example.</summary>
    /// <exception cref="DataFormatException">The line is not a valid preference example.</exception>
    public static PreferenceExample ParsePreference(string line, string source = "<input>", long lineNumber = 0) =>
        Parse<PreferenceExample>(line, source, lineNumber);

    /// <summary>Parses a reinforcement example.</summary>
    /// <exception cref="DataFormatException">The line is not a valid reinforcement example.</exception>
    public static ReinforcementExample ParseReinforcement(string line, string source = "<input>", long lineNumber = 0) =>
        Parse<ReinforcementExample>(line, source, lineNumber);

    /// <summary>Parses a prompt/completion example.</summary>
    /// <exception cref="DataFormatException">The line is not a valid prompt/completion example.</exception>
    public static PromptCompletionExample ParsePromptCompletion(string line, string source = "<input>", long lineNumber = 0) =>
        Parse<PromptCompletionExample>(line, source, lineNumber);

    /// <summary>Converts an already parsed JSON object into a typed example.</summary>
    /// <exception cref="DataFormatException">The element does not have the shape of <typeparamref name="T"/>.</exception>
    public static T FromElement<T>(JsonElement element, string source = "<input>", long lineNumber = 0)
        where T : class
    {
        try
        {
            return element.Deserialize<T>(Options)
                ?? throw new DataFormatException($"{source}:{lineNumber}: the line is null; expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw Wrap(e, source, lineNumber, typeof(T), null);
        }
    }

    /// <summary>Parses one line into <typeparamref name="T"/>.</summary>
    /// <exception cref="DataFormatException">The line is not valid JSON of that shape.</exception>
    public static T Parse<T>(string line, string source = "<input>", long lineNumber = 0)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Jsonl.JsonEscapes.FindLoneSurrogate(line.AsSpan()) is var lone and >= 0)
        {
            throw new DataFormatException(
                $"{source}:{lineNumber}:{lone + 1}: the escape {line.AsSpan(lone, Math.Min(6, line.Length - lone))} is half of a UTF-16 surrogate pair without its other half; no text can hold it. " +
                "Remove the escape or write the whole character (run `hone data check` for every problem at once).");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(line, Options)
                ?? throw new DataFormatException($"{source}:{lineNumber}: the line is null; expected a JSON object.");
        }
        catch (JsonException e)
        {
            throw Wrap(e, source, lineNumber, typeof(T), line);
        }
    }

    /// <summary>Serialises a chat example to one JSONL line (no trailing newline).</summary>
    public static string Serialize(ChatExample example) => JsonSerializer.Serialize(example, Options);

    /// <summary>Serialises a preference example to one JSONL line (no trailing newline).</summary>
    public static string Serialize(PreferenceExample example) => JsonSerializer.Serialize(example, Options);

    /// <summary>Serialises a reinforcement example to one JSONL line (no trailing newline).</summary>
    public static string Serialize(ReinforcementExample example) => JsonSerializer.Serialize(example, Options);

    /// <summary>Serialises a prompt/completion example to one JSONL line (no trailing newline).</summary>
    public static string Serialize(PromptCompletionExample example) => JsonSerializer.Serialize(example, Options);

    private static DataFormatException Wrap(JsonException e, string source, long lineNumber, Type type, string? text)
    {
        // "ChatExample" → "chat example"; the position and wording come from JsonErrors (no .NET text).
        var kind = string.Concat(type.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        var where = JsonErrors.Where(e, source, lineNumber > 0 ? lineNumber : null, text);
        var what = e.InnerException is OpenAiChatException m ? $"{m.Message.TrimEnd('.')} (at {e.Path}.{m.Field})" : JsonErrors.Describe(e);
        return new DataFormatException(
            $"{where}: not a valid {kind}: {what}. " +
            "Fix the line so it matches the OpenAI format (run `hone data check` for every problem at once).", e);
    }
}
