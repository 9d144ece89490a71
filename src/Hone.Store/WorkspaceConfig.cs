using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Hone.Store;

/// <summary>
/// The workspace file <c>hone.yaml</c>: the task, the default model, where the price table is, and the folders.
/// Unknown keys are errors (a typo never silently falls back to a default).
/// </summary>
public sealed record WorkspaceConfig
{
    /// <summary>Name of the task this workspace serves (free text, used in reports).</summary>
    public string Task { get; init; } = "my-task";

    /// <summary>Default model: a local folder/file (<c>local:PATH</c> or a path) or a provider model name.</summary>
    public string? DefaultModel { get; init; }

    /// <summary>Price table: <c>builtin</c> or a path (relative to the workspace) to a YAML/JSON price table.</summary>
    public string PriceTable { get; init; } = "builtin";

    /// <summary>Folders, relative to the workspace root.</summary>
    public WorkspacePaths Paths { get; init; } = new();

    /// <summary>OpenAI-compatible providers by name (base URL and the environment variable holding the key).</summary>
    public Dictionary<string, ProviderConfig> Providers { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The prompt stage's budget: above it a technique asks for <c>--yes</c> (null: the defaults of <see cref="PromptingConfig"/>).</summary>
    public PromptingConfig? Prompting { get; init; }

    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    private static readonly ISerializer Writer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .Build();

    /// <summary>Parses <c>hone.yaml</c> text; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="WorkspaceException">Invalid YAML, an unknown key or an invalid value, with line and column.</exception>
    public static WorkspaceConfig Parse(string yaml, string source)
    {
        WorkspaceConfig? config;
        try
        {
            config = Reader.Deserialize<WorkspaceConfig?>(yaml);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message ?? e.Message;
            throw new WorkspaceException(
                $"{source}:{e.Start.Line}:{e.Start.Column}: {inner} " +
                "Valid keys: task, default_model, price_table, paths {data, prompts, evals, runs}, providers {NAME: {base_url, api_key_env, tokens_per_minute}}, " +
                "prompting {budget_usd, budget_calls}.");
        }
        config ??= new WorkspaceConfig();
        config.Validate(source);
        return config;
    }

    /// <summary>Serialises to YAML (the form <c>hone init</c> writes).</summary>
    public string ToYaml() => Writer.Serialize(this);

    private void Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(Task)) throw new WorkspaceException($"{source}: 'task' must not be empty.");
        foreach (var (name, value) in Paths.All())
        {
            if (string.IsNullOrWhiteSpace(value)) throw new WorkspaceException($"{source}: paths.{name} must not be empty.");
            if (Path.IsPathRooted(value) || value.Split('/', '\\').Contains(".."))
                throw new WorkspaceException($"{source}: paths.{name} = '{value}' must be a folder inside the workspace (relative, no '..').");
        }
        if (Prompting is { BudgetUsd: < 0 } or { BudgetCalls: < 0 })
            throw new WorkspaceException($"{source}: prompting.budget_usd and prompting.budget_calls must be 0 or more (a technique estimated above them asks for --yes).");
        foreach (var (name, p) in Providers)
        {
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new WorkspaceException($"{source}: providers.{name}.base_url = '{p.BaseUrl}' is not an http(s) URL.");
            if (p.TokensPerMinute is < 1)
                throw new WorkspaceException($"{source}: providers.{name}.tokens_per_minute = {p.TokensPerMinute} must be at least 1 (or left out for no limit).");
        }
    }
}

/// <summary>Workspace folders, relative to the root.</summary>
public sealed record WorkspacePaths
{
    /// <summary>Training and golden data.</summary>
    public string Data { get; init; } = "data";

    /// <summary>Prompts (system prompts, templates).</summary>
    public string Prompts { get; init; } = "prompts";

    /// <summary>Eval specs and graders.</summary>
    public string Evals { get; init; } = "evals";

    /// <summary>Run folders (checkpoints, curves, exports).</summary>
    public string Runs { get; init; } = "runs";

    internal IEnumerable<(string Name, string Value)> All() =>
        [("data", Data), ("prompts", Prompts), ("evals", Evals), ("runs", Runs)];
}

/// <summary>An OpenAI-compatible endpoint. The key itself is never stored: only the name of its environment variable.</summary>
public sealed record ProviderConfig
{
    /// <summary>Base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:8080/v1.</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>Environment variable that holds the API key (may be absent for local servers).</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>The account's tokens-per-minute limit: requests wait rather than exceed it (absent: no limit).</summary>
    public int? TokensPerMinute { get; init; }
}

/// <summary>The <c>prompting:</c> section: the spend above which a prompt technique runs only with <c>--yes</c>.</summary>
public sealed record PromptingConfig
{
    /// <summary>The default dollar budget.</summary>
    public const decimal DefaultBudgetUsd = 1m;

    /// <summary>The default budget in model calls.</summary>
    public const long DefaultBudgetCalls = 500;

    /// <summary>Dollars (estimated before the technique runs); default 1.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Model calls (estimated before the technique runs); default 500.</summary>
    public long? BudgetCalls { get; init; }
}
