using Hone.Models.Llama;

namespace Hone.Models.Generation;

/// <summary>
/// Autoregressive generation over an <see cref="IInferenceSession"/> (<see cref="LlamaSession"/>): the prompt goes through in blocks, then one token at a
/// time from the KV cache. Each call starts a fresh sequence. With a decoder (ids → text), stop strings are honoured and
/// results carry text.
/// </summary>
public sealed class Generator
{
    private readonly IInferenceSession _session;
    private readonly Func<int[], string>? _decode;

    /// <summary>A generator over <paramref name="session"/>; <paramref name="decode"/> turns ids into text (e.g. a tokenizer's Decode).</summary>
    public Generator(LlamaSession session, Func<int[], string>? decode = null)
        : this((IInferenceSession)session, decode)
    {
    }

    /// <summary>A generator over any model's session (Llama family); <paramref name="decode"/> turns ids into text.</summary>
    public Generator(IInferenceSession session, Func<int[], string>? decode = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        _decode = decode;
    }

    /// <summary>
    /// Generates from <paramref name="prompt"/> (at least one token; start from BOS for an empty prompt).
    /// <paramref name="onToken"/> sees each new token as it is chosen; returning false stops generation.
    /// </summary>
    /// <exception cref="ContextOverflowException">The prompt does not fit and the policy is <see cref="ContextOverflowPolicy.Error"/>.</exception>
    public GenerationResult Generate(IReadOnlyList<int> prompt, GenerationOptions options, Func<int, bool>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompt.Count == 0)
        {
            throw new ArgumentException("The prompt needs at least one token (start from BOS for an empty prompt).", nameof(prompt));
        }

        if (options.StopStrings.Count > 0 && _decode is null)
        {
            throw new ArgumentException("Stop strings need a decoder: construct the Generator with a decode function.", nameof(options));
        }

        int context = _session.MaxContext;
        var input = prompt.ToArray();
        int dropped = 0;
        if (input.Length + options.MaxNewTokens > context)
        {
            if (options.Overflow == ContextOverflowPolicy.Error)
            {
                throw new ContextOverflowException(
                    $"The prompt has {input.Length} tokens and up to {options.MaxNewTokens} new tokens are asked for, but the context holds {context}; shorten the prompt, lower max new tokens, or choose ContextOverflowPolicy.TruncatePromptStart.");
            }

            int keepTotal = Math.Max(1, context - options.MaxNewTokens);
            if (input.Length > keepTotal)
            {
                bool keepBos = _session.BosId is { } bos && input[0] == bos && keepTotal > 1;
                dropped = input.Length - keepTotal;
                input = keepBos ? [input[0], .. input[(1 + dropped)..]] : input[dropped..];
            }
        }

        var stopIds = new HashSet<int>(options.StopTokenIds);
        if (options.StopAtEos)
        {
            stopIds.UnionWith(_session.EosIds);
        }

        var sampler = new Sampler(_session.VocabSize, options.Sampling);
        var history = new List<int>(input.Length + options.MaxNewTokens);
        history.AddRange(input);
        var output = new List<int>(options.MaxNewTokens);
        _session.Reset();
        var logits = _session.Forward(input);
        var reason = FinishReason.Length;
        string? text = null;
        while (output.Count < options.MaxNewTokens)
        {
            int next = sampler.Sample(logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history));
            if (stopIds.Contains(next))
            {
                reason = FinishReason.Stop;
                break;
            }

            output.Add(next);
            history.Add(next);
            if (EndsWithStopSequence(output, options.StopSequences, out int cut))
            {
                output.RemoveRange(output.Count - cut, cut);
                reason = FinishReason.StopSequence;
                break;
            }

            if (options.StopStrings.Count > 0 && FindStopString(output, options.StopStrings, out text))
            {
                reason = FinishReason.StopSequence;
                break;
            }

            if (onToken is not null && !onToken(next))
            {
                reason = FinishReason.Cancelled;
                break;
            }

            if (output.Count == options.MaxNewTokens)
            {
                break;
            }

            if (_session.Position >= context)
            {
                reason = FinishReason.ContextFull;
                break;
            }

            logits = _session.Forward([next]);
        }

        var ids = output.ToArray();
        if (text is null && _decode is not null)
        {
            text = _decode(ids);
        }

        return new GenerationResult(input, ids, text, reason, dropped);
    }

    /// <summary>Generates for several prompts, one after the other (each from a fresh sequence, same options and seed).</summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var results = new GenerationResult[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            results[i] = Generate(prompts[i], options);
        }

        return results;
    }

    private static bool EndsWithStopSequence(List<int> output, IReadOnlyList<IReadOnlyList<int>> sequences, out int length)
    {
        foreach (var seq in sequences)
        {
            if (seq.Count <= output.Count)
            {
                bool match = true;
                for (int i = 0; i < seq.Count && match; i++)
                {
                    match = output[output.Count - seq.Count + i] == seq[i];
                }

                if (match)
                {
                    length = seq.Count;
                    return true;
                }
            }
        }

        length = 0;
        return false;
    }

    private bool FindStopString(List<int> output, IReadOnlyList<string> stops, out string? text)
    {
        var decoded = _decode!(output.ToArray());
        int first = -1;
        foreach (var s in stops)
        {
            int at = decoded.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        text = first >= 0 ? decoded[..first] : null;
        return first >= 0;
    }
}
