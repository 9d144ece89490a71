using Hone.Store;

namespace Hone.Remote;

/// <summary>A hosted service as <c>hone remote</c> reaches it.</summary>
/// <param name="Name">The provider name (hone.yaml's, or a built-in one).</param>
/// <param name="Kind">openai, together or fireworks (the API shape).</param>
/// <param name="BaseUrl">The fine-tuning API's base URL.</param>
/// <param name="ApiKeyEnv">The environment variable holding the key.</param>
/// <param name="InferenceUrl">Where the tuned model answers chat (what hone.yaml's provider entry needs for hone eval).</param>
public sealed record RemoteProvider(string Name, string Kind, Uri BaseUrl, string? ApiKeyEnv, Uri InferenceUrl)
{
    /// <summary>The built-in providers, used when hone.yaml has no entry of that name.</summary>
    public static IReadOnlyDictionary<string, RemoteProvider> BuiltIn { get; } = new Dictionary<string, RemoteProvider>(StringComparer.Ordinal)
    {
        ["openai"] = new("openai", "openai", new Uri("https://api.openai.com/v1"), "OPENAI_API_KEY", new Uri("https://api.openai.com/v1")),
        ["together"] = new("together", "together", new Uri("https://api.together.xyz/v1"), "TOGETHER_API_KEY", new Uri("https://api.together.xyz/v1")),
        ["fireworks"] = new("fireworks", "fireworks", new Uri("https://api.fireworks.ai/v1"), "FIREWORKS_API_KEY", new Uri("https://api.fireworks.ai/inference/v1")),
    };

    /// <summary>
    /// The provider <paramref name="name"/>: hone.yaml's entry (its kind from <paramref name="kind"/>, else from the URL:
    /// together.xyz, fireworks.ai, else the OpenAI shape, which also covers Azure's /openai/v1/ and hone serve), else a built-in one.
    /// </summary>
    /// <exception cref="RemoteException">Unknown name or kind.</exception>
    public static RemoteProvider Resolve(string name, WorkspaceConfig? config, string? kind = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (kind is not null && kind is not ("openai" or "together" or "fireworks"))
            throw new RemoteException($"--kind '{kind}' is not one of openai, together, fireworks.");
        if (config?.Providers.TryGetValue(name, out var p) == true)
        {
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var url))
                throw new RemoteException($"hone.yaml: provider '{name}' has base_url '{p.BaseUrl}', which is not an absolute URL.");
            var k = kind ?? (url.Host.Contains("together", StringComparison.OrdinalIgnoreCase) ? "together"
                : url.Host.Contains("fireworks", StringComparison.OrdinalIgnoreCase) ? "fireworks" : "openai");
            var inference = k == "fireworks" ? new Uri("https://api.fireworks.ai/inference/v1") : url;
            return new RemoteProvider(name, k, url, p.ApiKeyEnv, inference);
        }
        if (BuiltIn.TryGetValue(name, out var b)) return kind is null || kind == b.Kind ? b : b with { Kind = kind };
        throw new RemoteException($"Unknown provider '{name}': add it to hone.yaml's providers (base_url, api_key_env) or use one of {string.Join(", ", BuiltIn.Keys)}.");
    }

    /// <summary>The key from <see cref="ApiKeyEnv"/> (empty when none is needed, e.g. a local hone serve).</summary>
    public string ApiKey(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (ApiKeyEnv is null) return "";
        return environment(ApiKeyEnv) is { Length: > 0 } key ? key
            : throw new RemoteException($"Provider '{Name}' needs its API key in the environment variable {ApiKeyEnv}.");
    }

    /// <summary>The client for this provider's API shape.</summary>
    public IRemoteFineTuning Connect(HttpClient http, string apiKey, string? account = null) => Kind switch
    {
        "together" => new TogetherFineTuning(http, BaseUrl, apiKey),
        "fireworks" => new FireworksFineTuning(http, BaseUrl, apiKey,
            account ?? throw new RemoteException("Fireworks needs the account id: --account ID (or FIREWORKS_ACCOUNT_ID).")),
        _ => new OpenAiFineTuning(BaseUrl, apiKey),
    };
}
