using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Hone.Evals.Providers;

/// <summary>
/// Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI's v1 endpoint, Ollama, vLLM, llama.cpp's server,
/// Together, Fireworks, <c>hone serve</c>) as an <see cref="IChatClient"/>: the official OpenAI .NET SDK's client, adapted by
/// Microsoft.Extensions.AI.OpenAI (<c>GetChatClient(model).AsIChatClient()</c>). The SDK's own retries are off: retries,
/// caching, limits and accounting are middleware (see <see cref="ChatClientPipeline"/>). The API key is held only in memory.
/// </summary>
public static class OpenAiEndpoint
{
    /// <summary>The per-request network timeout when none is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>A client for <paramref name="model"/> at <paramref name="baseUrl"/>.</summary>
    /// <param name="baseUrl">Base URL including the version segment, e.g. <c>https://api.openai.com/v1</c>.</param>
    /// <param name="model">Model name as the endpoint knows it.</param>
    /// <param name="apiKey">The key; null or empty for servers that need none (a placeholder is sent).</param>
    /// <param name="timeout">Per-request network timeout (default 120 s).</param>
    /// <returns>The client; its <see cref="ChatClientMetadata"/> names the endpoint (<c>ProviderUri</c>) and the model.</returns>
    public static IChatClient Create(Uri baseUrl, string model, string? apiKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var options = new OpenAIClientOptions
        {
            Endpoint = baseUrl,
            NetworkTimeout = timeout ?? DefaultTimeout,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // retries are middleware (ChatRetry), honouring Retry-After
        };
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "no-key" : apiKey);
        return new OpenAIClient(credential, options).GetChatClient(model).AsIChatClient();
    }
}
