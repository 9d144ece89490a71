using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace Hone.Evals.Providers;

/// <summary>
/// The response cache: Microsoft.Extensions.AI's <see cref="DistributedCachingChatClient"/> (a request identical in
/// messages and every option is answered from the cache without calling the model; only successful responses are
/// stored, so a failure is never replayed as a success), with what its key lacks added through its key hook, and cache
/// hits marked with <c>AdditionalProperties["hone.cache_hit"] = true</c>.
/// </summary>
/// <remarks>
/// <para>The library's key covers the messages and the serialisable <see cref="ChatOptions"/> (model id, temperature,
/// top-p/k, max tokens, penalties, seed, stop sequences, response format, tool mode, instructions, reasoning, additional
/// properties). Added here: the model's identity from the inner client's <see cref="ChatClientMetadata"/> (provider URI
/// and default model id: for an endpoint its URL and model name; for a local Hone model loaded with content identity a
/// content address, <c>urn:hone:model:sha256:…</c> over its weights, tokenizer, chat template and settings, so two models
/// whose folders share a name never share answers) and the tools offered (name, description, parameter schema), which the
/// library's key leaves out.</para>
/// <para>Not cached: requests whose options carry a raw-representation factory (their effect on the request cannot be
/// known) and, as the library decides, requests continuing a server-side conversation.</para>
/// </remarks>
public sealed class ResponseCachingChatClient(IChatClient inner, IDistributedCache storage) : DistributedCachingChatClient(inner, storage)
{
    /// <summary>The additional-property key marking a response served from the cache.</summary>
    public const string CacheHitKey = "hone.cache_hit";

    /// <summary>The cache key this client uses for a request (public so tests can show what it depends on).</summary>
    public string KeyFor(IEnumerable<ChatMessage> messages, ChatOptions? options) => GetCacheKey(messages, options);

    /// <inheritdoc />
    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues)
    {
        var metadata = InnerClient.GetService<ChatClientMetadata>();
        return base.GetCacheKey(messages, options,
            [.. additionalValues, metadata?.ProviderUri?.ToString(), metadata?.DefaultModelId, ToolsKey(options?.Tools)]);
    }

    /// <inheritdoc />
    protected override bool EnableCaching(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        options?.RawRepresentationFactory is null && base.EnableCaching(messages, options);

    /// <inheritdoc />
    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var cached = await base.ReadCacheAsync(key, cancellationToken).ConfigureAwait(false);
        if (cached is not null) (cached.AdditionalProperties ??= [])[CacheHitKey] = true;
        return cached;
    }

    /// <inheritdoc />
    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken)
    {
        var cached = await base.ReadCacheStreamingAsync(key, cancellationToken).ConfigureAwait(false);
        if (cached is not null) foreach (var u in cached) (u.AdditionalProperties ??= [])[CacheHitKey] = true;
        return cached;
    }

    /// <summary>The tools as canonical JSON text: name, description and parameter schema of each, in order.</summary>
    private static string? ToolsKey(IList<AITool>? tools) => tools is null ? null : new JsonArray([.. tools.Select(t => (JsonNode)new JsonObject
    {
        ["type"] = t.GetType().Name,
        ["name"] = t.Name,
        ["description"] = t.Description,
        ["schema"] = t is AIFunctionDeclaration f ? JsonNode.Parse(f.JsonSchema.GetRawText()) : null,
        ["return_schema"] = t is AIFunctionDeclaration { ReturnJsonSchema: { } r } ? JsonNode.Parse(r.GetRawText()) : null,
    })]).ToJsonString(JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
