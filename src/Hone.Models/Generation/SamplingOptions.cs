using System.Globalization;

namespace Hone.Models.Generation;

/// <summary>
/// How the next token is chosen from the logits. Applied in this order (as transformers does): repetition penalty,
/// temperature (0 = greedy argmax), softmax, top-k, top-p, min-p, renormalisation, then a seeded draw.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy argmax decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Divides the logits; 0 picks the argmax (greedy). Default 1.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keeps only the k most likely tokens; 0 turns it off.</summary>
    public int TopK { get; init; }

    /// <summary>Keeps the smallest set of most likely tokens whose probability mass is at least p; 1 turns it off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drops tokens less likely than min_p × the top probability; 0 turns it off.</summary>
    public float MinP { get; init; }

    /// <summary>Penalises tokens already seen (CTRL style: positive logits divided, negative multiplied); 1 turns it off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>How many of the most recent tokens the repetition penalty looks at; 0 = the whole sequence.</summary>
    public int RepetitionWindow { get; init; }

    /// <summary>Seed of the draw: the same seed, logits and options give the same tokens. Null = a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Whether decoding is greedy.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Checks every value's range.</summary>
    /// <exception cref="ArgumentException">A value is out of range (the message names it and the allowed range).</exception>
    public SamplingOptions Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new ArgumentException(what);
            }
        }

        var ic = CultureInfo.InvariantCulture;
        Check(float.IsFinite(Temperature) && Temperature >= 0, string.Create(ic, $"temperature {Temperature} must be ≥ 0 (0 = greedy)."));
        Check(TopK >= 0, string.Create(ic, $"top_k {TopK} must be ≥ 0 (0 = off)."));
        Check(TopP is > 0 and <= 1, string.Create(ic, $"top_p {TopP} must be in (0, 1] (1 = off)."));
        Check(MinP is >= 0 and <= 1, string.Create(ic, $"min_p {MinP} must be in [0, 1] (0 = off)."));
        Check(float.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0, string.Create(ic, $"repetition_penalty {RepetitionPenalty} must be > 0 (1 = off)."));
        Check(RepetitionWindow >= 0, string.Create(ic, $"repetition window {RepetitionWindow} must be ≥ 0 (0 = whole sequence)."));
        return this;
    }
}
