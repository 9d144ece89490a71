using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>Where cached responses live.</summary>
public interface IResponseCache
{
    /// <summary>The stored bytes for <paramref name="key"/>, or null.</summary>
    byte[]? Get(string key);

    /// <summary>Stores bytes under <paramref name="key"/>.</summary>
    void Put(string key, byte[] value);
}

/// <summary>A cache in the workspace's run store (SQLite), safe to share between concurrent requests.</summary>
public sealed class RunStoreResponseCache(RunStore store) : IResponseCache
{
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public byte[]? Get(string key) { lock (_gate) return store.CacheGet("chat:" + key); }

    /// <inheritdoc />
    public void Put(string key, byte[] value) { lock (_gate) store.CachePut("chat:" + key, value); }
}

/// <summary>
/// Response cache decorator: a request identical in model, messages, tools and every option (seed included) is
/// answered from the cache without calling the model. Only successful responses are stored: an exception is never
/// cached, so a failure is never replayed as a success. Streaming calls pass through uncached, and so do requests
/// whose options carry a raw-representation factory (their effect on the request cannot be known).
/// Cache hits are marked with <c>AdditionalProperties["hone.cache_hit"] = true</c>.
/// </summary>
/// <remarks>
/// The model is identified by the inner client's <see cref="ChatClientMetadata"/>: its provider URI and model id. For an
/// endpoint that is the URL and the model name; for a local Hone model loaded with content identity the provider URI
/// is a content address (<c>urn:hone:model:sha256:…</c> over its weights, tokenizer, chat template and settings), so two
/// models whose folders share a name never share answers.
/// </remarks>
public sealed class CachingChatClient(IChatClient inner, IResponseCache cache) : DelegatingChatClient(inner)
{
    /// <summary>The additional-property key marking a response served from the cache.</summary>
    public const string CacheHitKey = "hone.cache_hit";

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        if (options?.RawRepresentationFactory is not null) return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        var key = RequestKey(list, options, InnerClient.GetService<ChatClientMetadata>());
        if (cache.Get(key) is { } bytes)
        {
            var cached = JsonSerializer.Deserialize<ChatResponse>(bytes, AIJsonUtilities.DefaultOptions);
            if (cached is not null)
            {
                (cached.AdditionalProperties ??= [])[CacheHitKey] = true;
                return cached;
            }
        }
        var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        cache.Put(key, JsonSerializer.SerializeToUtf8Bytes(response, AIJsonUtilities.DefaultOptions));
        return response;
    }

    /// <summary>
    /// The cache key: SHA-256 of a canonical JSON of the endpoint, model, messages, tools and options.
    /// Public so tests can show which request fields it depends on.
    /// </summary>
    public static string RequestKey(IEnumerable<ChatMessage> messages, ChatOptions? options, ChatClientMetadata? metadata)
    {
        var o = options;
        var request = new JsonObject
        {
            ["endpoint"] = metadata?.ProviderUri?.ToString(),
            ["model"] = o?.ModelId ?? metadata?.DefaultModelId,
            ["messages"] = JsonSerializer.SerializeToNode(messages, AIJsonUtilities.DefaultOptions),
            ["instructions"] = o?.Instructions,
            ["temperature"] = o?.Temperature,
            ["top_p"] = o?.TopP,
            ["top_k"] = o?.TopK,
            ["max_output_tokens"] = o?.MaxOutputTokens,
            ["frequency_penalty"] = o?.FrequencyPenalty,
            ["presence_penalty"] = o?.PresencePenalty,
            ["seed"] = o?.Seed,
            ["stop"] = o?.StopSequences is { } s ? new JsonArray([.. s.Select(x => JsonValue.Create(x))]) : null,
            ["response_format"] = o?.ResponseFormat switch
            {
                null => null,
                ChatResponseFormatJson j => new JsonObject
                {
                    ["type"] = "json",
                    ["schema"] = j.Schema is { } sc ? JsonNode.Parse(sc.GetRawText()) : null,
                    ["schema_name"] = j.SchemaName,
                    ["schema_description"] = j.SchemaDescription,
                },
                _ => "text",
            },
            ["tool_mode"] = o?.ToolMode switch
            {
                null => null,
                RequiredChatToolMode r => "required:" + r.RequiredFunctionName,
                var m => m.ToString(),
            },
            ["allow_multiple_tool_calls"] = o?.AllowMultipleToolCalls,
            ["conversation_id"] = o?.ConversationId,
            ["reasoning"] = o?.Reasoning is { } reasoning ? Node(reasoning) : null,
            ["additional_properties"] = o?.AdditionalProperties is { Count: > 0 } props
                ? new JsonObject(props.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Node(p.Value))))
                : null,
            ["tools"] = o?.Tools is { } tools
                ? new JsonArray([.. tools.Select(t => (JsonNode)new JsonObject
                {
                    ["name"] = t.Name,
                    ["description"] = t.Description,
                    ["schema"] = t is AIFunctionDeclaration f ? JsonNode.Parse(f.JsonSchema.GetRawText()) : null,
                })])
                : null,
        };
        var bytes = Encoding.UTF8.GetBytes(request.ToJsonString());
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static JsonNode? Node(object value)
    {
        try { return JsonSerializer.SerializeToNode(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())); }
        catch (NotSupportedException) { return JsonValue.Create(value.GetType().FullName + ":" + value); }
    }
}
