using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// SentencePiece-style BPE (Llama 2, Mistral, TinyStories, Phi-3), exactly as llama.cpp's SPM tokenizer:
/// spaces become "▁", a dummy "▁" is prepended to the text and after every special token, then adjacent symbols
/// are merged greedily, always the pair whose concatenation is the highest-scoring vocabulary entry (leftmost on
/// ties); symbols left outside the vocabulary fall back to "&lt;0xXX&gt;" byte pieces (or the unknown id).
/// The text is cut wherever two adjacent chars occur together in no token (<see cref="SpmPairFilter"/>), since no
/// merge can cross such a point, and each piece is merged on its own (<see cref="SpmSegmentMerger"/>): same tokens as
/// one merge over the whole text, with a heap that stays small. The tokens of a segment seen before are reused
/// (<see cref="SpmSegmentCache"/>).
/// </summary>
public sealed class SentencePieceBpeTokenizer : TokenizerBase
{
    private const char Space = '\u2581';
    private readonly int? _unkId;
    private readonly SpmPairFilter _pairs;
    private readonly SpmSegmentCache _cache = new();
    private readonly ThreadLocal<SpmPrefixMemo> _prefixes = new(() => new SpmPrefixMemo());

    /// <summary>Creates the tokenizer over a vocabulary whose scores order the merges.</summary>
    /// <param name="vocab">Texts use "▁" for spaces; byte pieces are "&lt;0xXX&gt;".</param>
    /// <param name="bosId">Beginning-of-sequence id, or null.</param>
    /// <param name="eosId">End-of-sequence id, or null.</param>
    /// <param name="unkId">Unknown id, used for a byte without a byte piece; or null.</param>
    /// <param name="addSpacePrefix">Prepend the dummy "▁" (SentencePiece's add_dummy_prefix; true for Llama).</param>
    public SentencePieceBpeTokenizer(Vocabulary vocab, int? bosId, int? eosId, int? unkId, bool addSpacePrefix = true)
        : base(vocab, bosId, eosId)
    {
        if (unkId is { } u && !vocab.Contains(u))
            throw new TokenizerFormatException($"Unknown-token id {u} is outside the vocabulary of {vocab.Count} tokens.");
        _unkId = unkId;
        _pairs = new SpmPairFilter(vocab);
        AddSpacePrefix = addSpacePrefix;
    }

    /// <summary>Whether the dummy "▁" is prepended.</summary>
    public bool AddSpacePrefix { get; }

    private protected override void EncodeRaw(string text, int start, int length, bool afterSpecial, TokenSink sink)
    {
        var prefix = AddSpacePrefix && afterSpecial ? 1 : 0;
        var n = length + prefix;
        var chars = t_chars is { } buffer && buffer.Length >= n ? buffer
            : n <= MaxKeptChars ? t_chars = new char[Math.Max(n, 256)] : new char[n];
        if (prefix == 1) chars[0] = Space;
        text.AsSpan(start, length).Replace(chars.AsSpan(prefix, length), ' ', Space);

        // Merges never cross a point whose two chars occur together in no token: merge each run between such
        // points on its own (the greedy order within a run is the same as over the whole text), and reuse the
        // tokens of a run seen before (a run always merges the same way).
        if (sink.CountOnly)
        {
            sink.AddCount(Count(chars.AsSpan(0, n), chars));
            return;
        }
        var cache = _cache.ForThread();
        for (int from = 0, to = 1; to <= n; to++)
        {
            if (to < n && !_pairs.CanSplit(chars[to - 1], chars[to])) continue;
            var segment = chars.AsSpan(from, to - from);
            if (!cache.TryGet(segment, out var pieces))
            {
                pieces = Merge(chars, from, to);
                cache.Add(segment, pieces);
            }
            foreach (var p in pieces)
            {
                var a = from + p.Start;
                sink.Add(p.Id, start + Math.Max(a - prefix, 0), start + Math.Max(a + p.Length - prefix, 0));
            }
            from = to;
        }
    }

    /// <summary>
    /// The number of tokens of <paramref name="text"/> (the fragment's chars, spaces made "▁", at the start of
    /// <paramref name="chars"/>): the segments of <see cref="EncodeRaw"/>, resumed after those it shares with the last
    /// fragment this thread counted (<see cref="SpmPrefixMemo"/>).
    /// </summary>
    private int Count(ReadOnlySpan<char> text, char[] chars)
    {
        var memo = _prefixes.Value!;
        var (from, tokens, segments) = memo.Resume(text);
        var cache = _cache.ForThread();
        var n = text.Length;
        for (var to = from + 1; to <= n; to++)
        {
            if (to < n && !_pairs.CanSplit(text[to - 1], text[to])) continue;
            var segment = text[from..to];
            if (!cache.TryGet(segment, out var pieces))
            {
                pieces = Merge(chars, from, to);
                cache.Add(segment, pieces);
            }
            tokens += pieces.Length;
            memo.Record(segments++, to, tokens);
            from = to;
        }
        memo.Commit(text, segments);
        return tokens;
    }

    /// <summary>Longest fragment whose char buffer a thread keeps for the next call.</summary>
    private const int MaxKeptChars = 1 << 16;

    [ThreadStatic] private static char[]? t_chars;
    [ThreadStatic] private static SpmSegmentMerger? t_merger;
    [ThreadStatic] private static List<SpmPiece>? t_pieces;

    /// <summary>The tokens chars[from, to) merges to, positions relative to <paramref name="from"/>.</summary>
    private SpmPiece[] Merge(char[] chars, int from, int to)
    {
        var merger = t_merger ??= new SpmSegmentMerger();
        var pieces = t_pieces ??= [];
        pieces.Clear();
        merger.Run(Vocab, chars, from, to);
        Span<byte> utf8 = stackalloc byte[8];
        for (var s = 0; s >= 0; s = merger.Next(s))
        {
            int a = merger.Start(s), len = merger.Length(s), id = merger.Id(s);
            if (id == SpmSegmentMerger.NotLooked) id = Vocab.Find(chars.AsSpan(a, len));
            if (id >= 0)
            {
                pieces.Add(new SpmPiece(id, a - from, len));
                continue;
            }
            // Not in the vocabulary: a merged symbol always is, so this is one code point; emit its UTF-8 bytes.
            var nb = Encoding.UTF8.GetBytes(chars.AsSpan(a, len), utf8);
            for (var k = 0; k < nb; k++)
            {
                var byteId = Vocab.ByteId(utf8[k]);
                if (byteId < 0) byteId = _unkId ?? throw new InvalidOperationException(
                    $"The vocabulary has neither the byte piece <0x{utf8[k]:X2}> nor an unknown token.");
                pieces.Add(new SpmPiece(byteId, a - from, len));
            }
        }
        return [.. pieces];
    }

    private protected override void AppendPieceBytes(int id, bool afterSpecial, List<byte> bytes)
    {
        if (IsBytePiece(Vocab.Text(id), out var b))
        {
            bytes.Add(b);
            return;
        }
        var text = Vocab.Text(id).Replace(Space, ' ');
        if (afterSpecial && AddSpacePrefix && text.StartsWith(' ')) text = text[1..];
        bytes.AddRange(Encoding.UTF8.GetBytes(text));
    }

    private static bool IsBytePiece(string t, out byte b)
    {
        b = 0;
        return t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
            && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out b);
    }
}
