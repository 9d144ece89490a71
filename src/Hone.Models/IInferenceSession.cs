namespace Hone.Models;

/// <summary>
/// One running sequence of a causal language model (Llama family): a KV cache that tokens are appended to,
/// yielding next-token logits. What <see cref="Generation.Generator"/> drives. Not thread-safe: one session per sequence.
/// </summary>
public interface IInferenceSession : IDisposable
{
    /// <summary>Number of token ids (the length of every logits row).</summary>
    int VocabSize { get; }

    /// <summary>The model's beginning-of-sequence id, when known.</summary>
    int? BosId { get; }

    /// <summary>The model's end-of-sequence ids.</summary>
    IReadOnlyList<int> EosIds { get; }

    /// <summary>Positions the KV cache holds.</summary>
    int MaxContext { get; }

    /// <summary>Number of tokens already in the KV cache (the position of the next token).</summary>
    int Position { get; }

    /// <summary>Forgets the sequence.</summary>
    void Reset();

    /// <summary>Drops every cached token from <paramref name="position"/> on.</summary>
    void Rewind(int position);

    /// <summary>Appends <paramref name="tokens"/> and returns the logits [vocab] after the last one (valid until the next call).</summary>
    /// <exception cref="ContextOverflowException">The tokens do not fit in the remaining context.</exception>
    ReadOnlySpan<float> Forward(scoped ReadOnlySpan<int> tokens);

    /// <summary>Appends <paramref name="tokens"/> and writes the logits of every one to <paramref name="logits"/> [tokens, vocab].</summary>
    void Forward(ReadOnlySpan<int> tokens, Span<float> logits);
}
