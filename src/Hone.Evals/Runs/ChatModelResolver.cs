using Hone.Evals.Providers;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Runs;

/// <summary>
/// Turns a model name into an <see cref="IChatClient"/>: <c>provider:model</c> names a provider of hone.yaml
/// (<see cref="OpenAiEndpoint"/>, its key read from the provider's environment variable and held only in memory, within
/// the provider's <c>tokens_per_minute</c> when it has one); <c>local:DIR</c> goes to the local-model factory the host
/// supplies, and <c>run:RUN[@EPOCH]</c> (a training run's checkpoint) to its run factory (Evals never loads models itself).
/// </summary>
public sealed class ChatModelResolver
{
    private readonly WorkspaceConfig _config;
    private readonly Func<string, IChatClient>? _local;
    private readonly Func<string, string?> _env;

    /// <summary>Creates the resolver.</summary>
    /// <param name="config">The workspace configuration (its providers).</param>
    /// <param name="localFactory">Loads <c>local:DIR</c> models (given DIR); null when the host has none.</param>
    /// <param name="environment">Reads environment variables (default: the process environment).</param>
    public ChatModelResolver(WorkspaceConfig config, Func<string, IChatClient>? localFactory, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _local = localFactory;
        _env = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>Loads <c>run:RUN[@EPOCH]</c> models (given RUN[@EPOCH]); null when the host has none.</summary>
    public Func<string, IChatClient>? RunFactory { get; init; }

    /// <summary>The client for <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The name has no known provider, or the provider's key variable is unset.</exception>
    public IChatClient Resolve(string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        int colon = model.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == model.Length - 1)
            throw new ArgumentException($"Model '{model}': write provider:model (providers of hone.yaml: {Providers()}), local:DIR or run:RUN[@EPOCH].", nameof(model));
        var prefix = model[..colon];
        var rest = model[(colon + 1)..];
        if (prefix == "local")
        {
            return _local is null
                ? throw new ArgumentException($"Model '{model}': local models are not available in this host.", nameof(model))
                : _local(rest);
        }
        if (prefix == "run" && !_config.Providers.ContainsKey(prefix))
        {
            return RunFactory is null
                ? throw new ArgumentException($"Model '{model}': training runs are not available as models in this host.", nameof(model))
                : RunFactory(rest);
        }
        if (!_config.Providers.TryGetValue(prefix, out var provider))
            throw new ArgumentException($"Model '{model}': no provider '{prefix}' in hone.yaml (known: {Providers()}). Add providers: {{{prefix}: {{base_url: ..., api_key_env: ...}}}}.", nameof(model));
        string? key = null;
        if (provider.ApiKeyEnv is { Length: > 0 } envName)
        {
            key = _env(envName);
            if (string.IsNullOrEmpty(key))
                throw new ArgumentException($"Model '{model}': the environment variable {envName} (providers.{prefix}.api_key_env) is not set; export it with the API key.", nameof(model));
        }
        var client = OpenAiEndpoint.Create(new Uri(provider.BaseUrl), rest, key);
        return provider.TokensPerMinute is { } tpm ? client.AsBuilder().UseTokensPerMinute(tpm).Build() : client;
    }

    private string Providers() => _config.Providers.Count == 0 ? "none" : string.Join(", ", _config.Providers.Keys.Order(StringComparer.Ordinal));
}
