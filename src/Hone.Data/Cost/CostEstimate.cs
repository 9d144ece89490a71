using System.Text.Json.Serialization;

namespace Hone.Data.Cost;

/// <summary>The estimated cost of training on a data set.</summary>
public sealed record CostEstimate
{
    /// <summary>Training examples counted.</summary>
    [JsonPropertyName("examples")] public required long Examples { get; init; }

    /// <summary>Epochs used.</summary>
    [JsonPropertyName("epochs")] public required int Epochs { get; init; }

    /// <summary>How the epochs were chosen (the auto rule, or "given").</summary>
    [JsonPropertyName("epochs_rule")] public required string EpochsRule { get; init; }

    /// <summary>Σ min(limit, tokens of example): the tokens billed per epoch.</summary>
    [JsonPropertyName("billed_tokens_per_epoch")] public required long BilledTokensPerEpoch { get; init; }

    /// <summary>epochs × billed tokens per epoch.</summary>
    [JsonPropertyName("billed_tokens")] public required long BilledTokens { get; init; }

    /// <summary>The per-example token limit applied.</summary>
    [JsonPropertyName("context_limit")] public required int ContextLimit { get; init; }

    /// <summary>Dollars per 1M tokens, or null when no price is known.</summary>
    [JsonPropertyName("price_per_1m")] public decimal? PricePer1M { get; init; }

    /// <summary>Where the price came from.</summary>
    [JsonPropertyName("price_source")] public string? PriceSource { get; init; }

    /// <summary>billed tokens / 1M × price, or null when no price is known.</summary>
    [JsonPropertyName("estimated_usd")] public decimal? EstimatedUsd { get; init; }

    /// <summary>The whole formula in words.</summary>
    [JsonPropertyName("rule")] public required string Rule { get; init; }
}

/// <summary>Computes <see cref="CostEstimate"/>s.</summary>
public static class CostEstimator
{
    /// <summary>
    /// billed tokens = epochs × Σ min(<paramref name="contextLimit"/>, tokens of example); cost = billed / 1M × price.
    /// </summary>
    /// <param name="tokensPerExample">Token count of each training example.</param>
    /// <param name="contextLimit">Per-example limit; longer examples are truncated and billed at the limit.</param>
    /// <param name="epochs">Fixed epochs, or null for <see cref="EpochRule.AutoEpochs"/>.</param>
    /// <param name="pricePer1M">Dollars per 1M tokens, or null.</param>
    /// <param name="priceSource">Where the price came from.</param>
    public static CostEstimate Estimate(IReadOnlyList<int> tokensPerExample, int contextLimit, int? epochs, decimal? pricePer1M, string? priceSource)
    {
        ArgumentNullException.ThrowIfNull(tokensPerExample);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLimit, 1);
        if (epochs is < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be at least 1.");
        long perEpoch = 0;
        foreach (var t in tokensPerExample) perEpoch = checked(perEpoch + Math.Min(contextLimit, Math.Max(0, t)));
        var n = tokensPerExample.Count;
        var e = epochs ?? (n == 0 ? 0 : EpochRule.AutoEpochs(n));
        var rule = epochs is null ? EpochRule.Description : $"epochs given: {epochs}";
        var billed = checked(perEpoch * e);
        decimal? usd = pricePer1M is { } p ? Math.Round(billed / 1_000_000m * p, 4) : null;
        return new CostEstimate
        {
            Examples = n,
            Epochs = e,
            EpochsRule = rule,
            BilledTokensPerEpoch = perEpoch,
            BilledTokens = billed,
            ContextLimit = contextLimit,
            PricePer1M = pricePer1M,
            PriceSource = priceSource,
            EstimatedUsd = usd,
            Rule = $"billed tokens = epochs × Σ min({contextLimit:N0}, tokens of example) = {e} × {perEpoch:N0} = {billed:N0}"
                + (pricePer1M is { } pp ? $"; cost = {billed:N0} / 1M × ${pp} = ${usd}" : "; no price given (use --price-per-1m or --price-model)")
                + $"; {rule}",
        };
    }
}
