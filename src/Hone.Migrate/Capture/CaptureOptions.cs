using System.Text.Json.Nodes;

namespace Hone.Migrate.Capture;

/// <summary>The sampling settings the hosted model runs with in production; recorded with every captured case.</summary>
public sealed record SamplingSettings
{
    /// <summary>Temperature (null: the provider's default).</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling (null: the provider's default).</summary>
    public double? TopP { get; init; }

    /// <summary>Most completion tokens (null: the provider's default).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling seed (null: none sent).</summary>
    public long? Seed { get; init; }

    /// <summary>The settings as JSON (only those given).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (Temperature is { } t) o["temperature"] = t;
        if (TopP is { } p) o["top_p"] = p;
        if (MaxTokens is { } m) o["max_tokens"] = m;
        if (Seed is { } s) o["seed"] = s;
        return o;
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static SamplingSettings FromJson(JsonNode? node) => node is not JsonObject o ? new() : new()
    {
        Temperature = (double?)o["temperature"],
        TopP = (double?)o["top_p"],
        MaxTokens = (int?)o["max_tokens"],
        Seed = (long?)o["seed"],
    };
}

/// <summary>Options of <c>hone migrate capture</c>, validated once.</summary>
public sealed record CaptureOptions
{
    /// <summary>The provider of hone.yaml (base URL, the environment variable holding the key, tokens per minute).</summary>
    public required string Provider { get; init; }

    /// <summary>The hosted model id (e.g. <c>ft:gpt-4o-mini-2024-07-18:acme::abc123</c>).</summary>
    public required string Model { get; init; }

    /// <summary>The production sampling settings.</summary>
    public SamplingSettings Settings { get; init; } = new();

    /// <summary>Requests in flight at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Retries of a transient failure (429 honours Retry-After).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The hosted model's input price in dollars per million tokens (null: cost unknown).</summary>
    public decimal? InputPer1M { get; init; }

    /// <summary>The hosted model's output price in dollars per million tokens (null: cost unknown).</summary>
    public decimal? OutputPer1M { get; init; }

    /// <summary>Seconds one call is assumed to take, for the time estimate.</summary>
    public double AssumedSecondsPerCall { get; init; } = 2;

    /// <summary>Completion tokens assumed per call for the estimate when <see cref="SamplingSettings.MaxTokens"/> is not set.</summary>
    public int AssumedOutputTokens { get; init; } = 256;

    /// <summary>Throws <see cref="MigrateException"/> naming the first bad option.</summary>
    public CaptureOptions Validate()
    {
        static void Check(bool ok, string what) { if (!ok) throw new MigrateException(what); }
        Check(!string.IsNullOrWhiteSpace(Provider) && !Provider.Contains(':', StringComparison.Ordinal), "--provider must name a provider of hone.yaml (providers: NAME: {base_url, api_key_env}).");
        Check(!string.IsNullOrWhiteSpace(Model), "--model must name the hosted model id.");
        Check(Concurrency is >= 1 and <= 64, $"--concurrency {Concurrency} must be between 1 and 64.");
        Check(MaxRetries is >= 0 and <= 20, $"--max-retries {MaxRetries} must be between 0 and 20.");
        Check(Settings.Temperature is null or (>= 0 and <= 2), "--temperature must be between 0 and 2.");
        Check(Settings.TopP is null or (> 0 and <= 1), "--top-p must be in (0, 1].");
        Check(Settings.MaxTokens is null or (>= 1 and <= 1_000_000), "--max-tokens must be at least 1.");
        Check(InputPer1M is null or >= 0 && OutputPer1M is null or >= 0, "prices must be 0 or more dollars per million tokens.");
        return this;
    }

    /// <summary>The price when both halves are known.</summary>
    public Hone.Evals.Providers.ModelPrice? Price => InputPer1M is { } i && OutputPer1M is { } o ? new(i, o) : null;
}

/// <summary>What a capture will cost and take, before anything is sent.</summary>
/// <param name="Cases">Inputs.</param>
/// <param name="AlreadyCaptured">Inputs already in the capture (a resumed run sends them no more).</param>
/// <param name="ToSend">Requests to send.</param>
/// <param name="InputTokens">Prompt tokens of the requests to send (about 4 characters a token, plus 4 per message).</param>
/// <param name="OutputTokens">Completion tokens at most (max tokens, or the assumed length, per request).</param>
/// <param name="CostUsd">Dollars at most, when the price is known.</param>
/// <param name="Seconds">Wall time (the assumed latency over the concurrency, or the tokens-per-minute limit, whichever is slower).</param>
/// <param name="Method">How the figures were reached.</param>
public sealed record CaptureEstimate(int Cases, int AlreadyCaptured, int ToSend, long InputTokens, long OutputTokens, decimal? CostUsd, double Seconds, string Method);

/// <summary>What a capture did.</summary>
/// <param name="Cases">Inputs.</param>
/// <param name="Captured">Cases in the capture now.</param>
/// <param name="Resumed">Cases found in the capture from an earlier, interrupted run (not sent again).</param>
/// <param name="Requests">Requests that reached the hosted model in this run.</param>
/// <param name="CacheHits">Answers taken from the run store's response cache (not paid again).</param>
/// <param name="Errors">Cases that failed after retries (a new run retries them).</param>
/// <param name="InputTokens">Prompt tokens billed in this run.</param>
/// <param name="OutputTokens">Completion tokens billed in this run.</param>
/// <param name="CostUsd">Dollars billed in this run (null when the price is unknown).</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="FirstErrors">The first failures' messages.</param>
public sealed record CaptureResult(int Cases, int Captured, int Resumed, long Requests, int CacheHits, int Errors, long InputTokens,
    long OutputTokens, decimal? CostUsd, double Seconds, IReadOnlyList<string> FirstErrors);
