namespace Hone.Tokenizers;

/// <summary>
/// The last fragment one thread counted with a <see cref="SentencePieceBpeTokenizer"/>: its chars, where its segments
/// end and how many tokens come before each end. The next fragment that starts with the same chars (a chat template's
/// system block and tool list, rendered for every example of a data set) resumes after the last segment end inside the
/// shared start: the segments before it, and where they end, depend only on chars that are the same (the chars on both
/// sides of that end included), so they give the same tokens. Counting only (no ids or offsets are kept).
/// </summary>
internal sealed class SpmPrefixMemo
{
    /// <summary>Longest fragment kept for the next call.</summary>
    private const int MaxChars = 1 << 16;

    private char[] _chars = new char[256];
    private int _length;       // 0: nothing to resume from
    private int[] _ends = new int[64];
    private int[] _tokens = new int[64];
    private int _segments;

    /// <summary>
    /// Where counting <paramref name="chars"/> may resume: the last remembered segment end before the end of the chars it
    /// shares with the remembered fragment, the tokens before it and the segments kept; (0, 0, 0) when none. Forgets
    /// the rest, so a count that fails midway leaves nothing to resume from.
    /// </summary>
    public (int From, int Tokens, int Kept) Resume(ReadOnlySpan<char> chars)
    {
        var common = chars.CommonPrefixLength(_chars.AsSpan(0, _length));
        int lo = 0, hi = _segments - 1, k = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ends[mid] < common)
            {
                k = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        _length = 0;
        _segments = k + 1;
        return k < 0 ? (0, 0, 0) : (_ends[k], _tokens[k], k + 1);
    }

    /// <summary>Notes segment <paramref name="index"/> (the next after those kept): it ends at <paramref name="end"/> with <paramref name="tokens"/> tokens before that.</summary>
    public void Record(int index, int end, int tokens)
    {
        if (index >= _ends.Length)
        {
            Array.Resize(ref _ends, _ends.Length * 2);
            Array.Resize(ref _tokens, _tokens.Length * 2);
        }
        _ends[index] = end;
        _tokens[index] = tokens;
    }

    /// <summary>The fragment <paramref name="chars"/> was counted whole, in <paramref name="segments"/> segments: remember it.</summary>
    public void Commit(ReadOnlySpan<char> chars, int segments)
    {
        if (chars.Length > MaxChars) return;
        if (_chars.Length < chars.Length) _chars = new char[Math.Max(chars.Length, 2 * _chars.Length)];
        chars.CopyTo(_chars);
        _length = chars.Length;
        _segments = segments;
    }
}
