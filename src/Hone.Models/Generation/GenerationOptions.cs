namespace Hone.Models.Generation;

/// <summary>What to do when a prompt plus its new tokens do not fit in the context.</summary>
public enum ContextOverflowPolicy
{
    /// <summary>Throw <see cref="ContextOverflowException"/> before generating anything.</summary>
    Error,

    /// <summary>Drop the oldest prompt tokens (keeping a leading BOS) so prompt and new tokens fit.</summary>
    TruncatePromptStart,
}

/// <summary>Why generation stopped.</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence or stop token was produced (it is not included in the output).</summary>
    Stop,

    /// <summary>A stop sequence or stop string was produced (it is not included in the output).</summary>
    StopSequence,

    /// <summary>The maximum number of new tokens was reached.</summary>
    Length,

    /// <summary>The context window is full.</summary>
    ContextFull,

    /// <summary>The token callback asked to stop.</summary>
    Cancelled,
}

/// <summary>Options of one generation call, validated once by <see cref="Validate"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>How tokens are chosen.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>At most this many new tokens.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Whether the model's end-of-sequence ids stop generation.</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>Further token ids that stop generation.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Token-id sequences that stop generation when the output ends with one of them (removed from the output).</summary>
    public IReadOnlyList<IReadOnlyList<int>> StopSequences { get; init; } = [];

    /// <summary>Strings that stop generation (needs a decoder: see <see cref="Generator"/>); removed from the text.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>What to do when the prompt and <see cref="MaxNewTokens"/> do not fit.</summary>
    public ContextOverflowPolicy Overflow { get; init; } = ContextOverflowPolicy.Error;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public GenerationOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Sampling);
        Sampling.Validate();
        if (MaxNewTokens < 0)
        {
            throw new ArgumentException($"max new tokens {MaxNewTokens} must be ≥ 0.");
        }

        if (StopSequences.Any(s => s is null || s.Count == 0) || StopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("stop sequences and stop strings must not be empty.");
        }

        return this;
    }
}

/// <summary>The outcome of one generation.</summary>
/// <param name="PromptIds">The prompt as fed to the model (after any explicit truncation).</param>
/// <param name="TokenIds">The new tokens (stop tokens and stop sequences excluded).</param>
/// <param name="Text">The decoded new text when a decoder was given, else null.</param>
/// <param name="Reason">Why generation stopped.</param>
/// <param name="PromptTokensDropped">Prompt tokens removed by <see cref="ContextOverflowPolicy.TruncatePromptStart"/>.</param>
public sealed record GenerationResult(int[] PromptIds, int[] TokenIds, string? Text, FinishReason Reason, int PromptTokensDropped);
