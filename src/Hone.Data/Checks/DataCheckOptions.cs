using Hone.Data.Cost;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Checks;

/// <summary>
/// Options of <c>hone data check</c>; validated once by <see cref="Validate"/> (the CLI binds to this record).
/// </summary>
public sealed record DataCheckOptions
{
    /// <summary>The kind of data, or null to detect it from the first object line.</summary>
    public DataKind? Kind { get; init; }

    /// <summary>Counts tokens; defaults to the clearly labelled <see cref="EstimatingTokenCounter"/>.</summary>
    public ITokenCounter TokenCounter { get; init; } = new EstimatingTokenCounter();

    /// <summary>Model name for the context-limit and price look-ups (e.g. gpt-4o-mini-2024-07-18), or null.</summary>
    public string? Model { get; init; }

    /// <summary>Per-example token limit; overrides <see cref="ContextLimits"/>. Null: the model's known limit, else 16,385.</summary>
    public int? ContextLimit { get; init; }

    /// <summary>Where <see cref="ContextLimit"/> came from, as the report names it (default "given").</summary>
    public string? ContextLimitSource { get; init; }

    /// <summary>Epochs for the cost estimate; null means auto (<see cref="EpochRule.AutoEpochs"/>).</summary>
    public int? Epochs { get; init; }

    /// <summary>A flat price in dollars per 1M training tokens; overrides the price table.</summary>
    public decimal? PricePer1M { get; init; }

    /// <summary>Price table for <see cref="Model"/>; null means <see cref="PriceTable.Default"/>.</summary>
    public PriceTable? PriceTable { get; init; }

    /// <summary>A validation file to check for leakage (and to check like the training file), or null.</summary>
    public string? ValidFile { get; init; }

    /// <summary>Near-duplicate threshold on the Jaccard similarity of word 3-shingles, in (0, 1]. Default 0.8.</summary>
    public double NearDuplicateThreshold { get; init; } = 0.8;

    /// <summary>
    /// Whether to look for near-duplicates at all. Costs time (MinHash of every example) and memory per example of a
    /// few bytes; the shingle sets, band keys and hashes spill to temporary files past a few tens of MiB.
    /// </summary>
    public bool FindNearDuplicates { get; init; } = true;

    /// <summary>At most this many findings per code are listed (all are counted). Default 100.</summary>
    public int MaxFindingsPerCode { get; init; } = 100;

    /// <summary>Threads validating and tokenising examples (default: one per core); the report does not depend on it.
    /// The <see cref="TokenCounter"/> is called from all of them at once.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Line cap and JSON depth of the reader.</summary>
    public JsonlReaderOptions Reader { get; init; } = new();

    /// <summary>The context limit in effect and where it came from.</summary>
    public (int Limit, string Source) ResolveContextLimit()
    {
        if (ContextLimit is { } c) return (c, ContextLimitSource ?? "given");
        if (ContextLimits.Find(Model) is { } m) return (m, $"known limit of {Model}");
        return (ContextLimits.Default, Model is null ? "default (no model given)" : $"default ({Model} not in the table of known limits)");
    }

    /// <summary>The price in effect and where it came from, or (null, null).</summary>
    public (decimal? Price, string? Source) ResolvePrice()
    {
        if (PricePer1M is { } p) return (p, "given price per 1M");
        if (Model is null) return (null, null);
        var table = PriceTable ?? PriceTable.Default;
        return table.Find(Model) is { } mp ? (mp.TrainingPer1M, $"{mp.Model} in {table.Source}") : (null, null);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(TokenCounter, nameof(TokenCounter));
        ArgumentNullException.ThrowIfNull(Reader, nameof(Reader));
        Reader.Validate();
        if (ContextLimit is < 1 or > 100_000_000) throw new ArgumentException($"context limit must be between 1 and 100,000,000 tokens, not {ContextLimit}.", nameof(ContextLimit));
        if (Epochs is < 1 or > 1000) throw new ArgumentException($"epochs must be 'auto' or between 1 and 1000, not {Epochs}.", nameof(Epochs));
        if (PricePer1M is < 0 or > 1_000_000) throw new ArgumentException($"price per 1M tokens must be between 0 and 1,000,000, not {PricePer1M}.", nameof(PricePer1M));
        if (double.IsNaN(NearDuplicateThreshold) || NearDuplicateThreshold is <= 0 or > 1)
            throw new ArgumentException($"near-duplicate threshold must be in (0, 1], not {NearDuplicateThreshold}.", nameof(NearDuplicateThreshold));
        if (MaxFindingsPerCode is < 1 or > 1_000_000) throw new ArgumentException("MaxFindingsPerCode must be between 1 and 1,000,000.", nameof(MaxFindingsPerCode));
        if (Threads is < 1 or > 1024) throw new ArgumentException($"threads must be between 1 and 1024, not {Threads}.", nameof(Threads));
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new ArgumentException($"validation file '{ValidFile}' not found.", nameof(ValidFile));
        if (Model is not null && Model.Length == 0) throw new ArgumentException("model name is empty.", nameof(Model));
    }
}
