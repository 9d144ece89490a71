using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tokens;

/// <summary>
/// Real token counts: each conversation is rendered with the model's chat template and tokenized with the model's
/// tokenizer, exactly as training will see it (tool definitions included when the template renders them).
/// </summary>
public sealed class ChatTemplateTokenCounter(ChatEncoder encoder, string modelName) : IJsonTokenCounter
{
    /// <inheritdoc />
    public string Name => $"tokenizer and chat template of {modelName} ({encoder.TemplateSource})";

    /// <inheritdoc />
    public bool IsEstimate => false;

    /// <inheritdoc />
    public int CountText(string text) => encoder.Tokenizer.CountTokens(text ?? "", addBos: false, parseSpecial: false);

    /// <inheritdoc />
    /// <remarks>
    /// The messages (and tools) are written as JSON once into a buffer the thread keeps, parsed as one document and
    /// rendered from its elements (<see cref="ChatEncoder.CountTokens(JsonElement, JsonElement?, bool)"/>): the values
    /// the template reads are those of a node tree per message (<see cref="CountMessagesNaive"/>, its twin), without
    /// building one. Any failure on that way (a repeated key, which node trees refuse; a template error) takes the
    /// twin, which fails (or not) as it always did.
    /// </remarks>
    public int CountMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(4096);
        t_buffer = null; // taken: a nested call (none today) would make its own
        try
        {
            buffer.ResetWrittenCount();
            // Each message (and the tools) is written as SerializeToNode writes it, one level deeper: the depth budgets are one more.
            var split = 0;
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = OpenAiJson.Options.Encoder, MaxDepth = OpenAiJson.Options.MaxDepth + 1 }))
            {
                w.WriteStartArray();
                for (var i = 0; i < messages.Count; i++) JsonSerializer.Serialize(w, messages[i], OpenAiJson.Options);
                w.WriteEndArray();
                w.Flush();
                split = (int)w.BytesCommitted;
                if (tools is { Count: > 0 })
                {
                    w.Reset();
                    w.WriteStartArray();
                    JsonSerializer.Serialize(w, tools, OpenAiJson.Options);
                    w.WriteEndArray();
                }
            }
            var json = buffer.WrittenMemory;
            var options = new JsonDocumentOptions { MaxDepth = OpenAiJson.Options.MaxDepth + 1, AllowDuplicateProperties = false };
            using var messageDoc = JsonDocument.Parse(json[..split], options);
            using var toolDoc = split < json.Length ? JsonDocument.Parse(json[split..], options) : null;
            return encoder.CountTokens(messageDoc.RootElement, toolDoc is null ? null : toolDoc.RootElement[0]);
        }
#pragma warning disable CA1031 // any failure of the direct way: the twin below fails (or not) as it always did
        catch (Exception)
        {
        }
#pragma warning restore CA1031
        finally
        {
            if (buffer.Capacity <= MaxKeptBufferBytes) t_buffer = buffer;
        }
        return CountMessagesNaive(messages, tools);
    }

    /// <inheritdoc />
    /// <remarks>Rendered from the elements as given (<see cref="ChatEncoder.CountTokens(JsonElement, JsonElement?, bool)"/>), as
    /// <see cref="CountMessages(IReadOnlyList{ChatMessage}, IReadOnlyList{ToolDefinition}?)"/> renders the JSON it writes of typed messages.</remarks>
    public int CountMessages(JsonElement messages, JsonElement? tools) => encoder.CountTokens(messages, tools);

    /// <summary>Naive twin of <see cref="CountMessages(IReadOnlyList{ChatMessage}, IReadOnlyList{ToolDefinition}?)"/>: a node tree per message and one for the tools, rendered and tokenized.</summary>
    public int CountMessagesNaive(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var nodes = messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
        var toolNode = tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(tools, OpenAiJson.Options) : null;
        return encoder.CountTokens(nodes, toolNode);
    }

    /// <summary>Largest JSON buffer a thread keeps for its next count.</summary>
    private const int MaxKeptBufferBytes = 1 << 20;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
}
