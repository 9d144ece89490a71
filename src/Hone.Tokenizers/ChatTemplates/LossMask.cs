namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Maps assistant character spans to the token positions SFT trains on.</summary>
public static class LossMask
{
    /// <summary>
    /// For each token (given by its [Start, End) char range, as <see cref="ITokenizer.EncodeWithOffsets"/> returns), true when
    /// the token is trained. Rule: a token is trained when its range is not empty and its last char (End - 1) lies inside a
    /// span with <see cref="AssistantSpan.Trained"/> set. So a token that straddles the start of a span (e.g. "▁Hello" whose
    /// space comes from the template) is trained — the model must produce it — and a token that starts inside a span but
    /// ends after it is not. Empty ranges (an added BOS) are never trained.
    /// </summary>
    public static bool[] FromSpans(IReadOnlyList<AssistantSpan> spans, ReadOnlySpan<(int Start, int End)> offsets)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var trained = spans.Where(s => s.Trained && s.End > s.Start).OrderBy(s => s.Start).ToArray();
        var mask = new bool[offsets.Length];
        for (var i = 0; i < offsets.Length; i++)
        {
            var (start, end) = offsets[i];
            if (end <= start) continue;
            var last = end - 1;
            foreach (var s in trained)
            {
                if (s.Start > last) break;
                if (last < s.End) { mask[i] = true; break; }
            }
        }
        return mask;
    }

    /// <summary>Number of trained positions in a mask.</summary>
    public static int CountTrained(ReadOnlySpan<bool> mask)
    {
        var n = 0;
        foreach (var b in mask) if (b) n++;
        return n;
    }
}
