namespace Hone.Data.Cost;

/// <summary>
/// OpenAI's default number of epochs for a fine-tuning job: 3; raised for small sets so that at least 100 examples
/// are seen (at most 25 epochs), lowered for large sets so that at most 25,000 are seen (at least 1 epoch).
/// The trainer reuses <see cref="AutoEpochs"/> so that "auto" means the same thing everywhere.
/// </summary>
public static class EpochRule
{
    /// <summary>Epochs when the set is neither small nor large.</summary>
    public const int TargetEpochs = 3;

    /// <summary>Example presentations below which epochs are raised.</summary>
    public const int MinTargetExamples = 100;

    /// <summary>Example presentations above which epochs are lowered.</summary>
    public const int MaxTargetExamples = 25_000;

    /// <summary>Fewest epochs the rule picks.</summary>
    public const int MinDefaultEpochs = 1;

    /// <summary>Most epochs the rule picks.</summary>
    public const int MaxDefaultEpochs = 25;

    /// <summary>The rule in words, for reports.</summary>
    public const string Description =
        "auto epochs: 3; if n×3 < 100 then min(25, 100 // n); if n×3 > 25,000 then max(1, 25,000 // n)";

    /// <summary>The automatic epoch count for <paramref name="exampleCount"/> training examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exampleCount"/> is below 1.</exception>
    public static int AutoEpochs(long exampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exampleCount, 1);
        var presentations = checked(exampleCount * TargetEpochs);
        if (presentations < MinTargetExamples) return (int)Math.Min(MaxDefaultEpochs, MinTargetExamples / exampleCount);
        if (presentations > MaxTargetExamples) return (int)Math.Max(MinDefaultEpochs, MaxTargetExamples / exampleCount);
        return TargetEpochs;
    }
}
