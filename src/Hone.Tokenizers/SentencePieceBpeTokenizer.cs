using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// SentencePiece-style BPE (Llama 2, Mistral, TinyStories, Phi-3), exactly as llama.cpp's SPM tokenizer:
/// spaces become "▁", a dummy "▁" is prepended to the text and after every special token, then adjacent symbols
/// are merged greedily, always the pair whose concatenation is the highest-scoring vocabulary entry (leftmost on
/// ties); symbols left outside the vocabulary fall back to "&lt;0xXX&gt;" byte pieces (or the unknown id).
/// The text is cut wherever two adjacent chars occur together in no token (<see cref="SpmPairFilter"/>), since no
/// merge can cross such a point, and each piece is merged on its own (<see cref="SpmSegmentMerger"/>): same tokens as
/// one merge over the whole text, with a heap that stays small.
/// </summary>
public sealed class SentencePieceBpeTokenizer : TokenizerBase
{
    private const char Space = '\u2581';
    private readonly int? _unkId;
    private readonly SpmPairFilter _pairs;

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
        var chars = new char[n];
        if (prefix == 1) chars[0] = Space;
        for (var i = 0; i < length; i++)
        {
            var c = text[start + i];
            chars[prefix + i] = c == ' ' ? Space : c;
        }

        // Merges never cross a point whose two chars occur together in no token: merge each run between such
        // points on its own (the greedy order within a run is the same as over the whole text).
        var merger = new SpmSegmentMerger(Vocab);
        Span<byte> utf8 = stackalloc byte[8];
        for (int from = 0, to = 1; to <= n; to++)
        {
            if (to < n && !_pairs.CanSplit(chars[to - 1], chars[to])) continue;
            merger.Run(chars, from, to);
            for (var s = 0; s >= 0; s = merger.Next(s))
                Emit(chars, merger.Start(s), merger.Length(s), merger.Id(s), start, prefix, sink, utf8);
            from = to;
        }
    }

    private void Emit(char[] chars, int a, int len, int id, int start, int prefix, TokenSink sink, Span<byte> utf8)
    {
        var origStart = start + Math.Max(a - prefix, 0);
        var origEnd = start + Math.Max(a + len - prefix, 0);
        if (id == SpmSegmentMerger.NotLooked) id = Vocab.Find(chars.AsSpan(a, len));
        if (id >= 0)
        {
            sink.Add(id, origStart, origEnd);
            return;
        }
        // Not in the vocabulary: a merged symbol always is, so this is one code point; emit its UTF-8 bytes.
        var nb = Encoding.UTF8.GetBytes(chars.AsSpan(a, len), utf8);
        for (var k = 0; k < nb; k++)
        {
            var byteId = Vocab.ByteId(utf8[k]);
            if (byteId < 0) byteId = _unkId ?? throw new InvalidOperationException(
                $"The vocabulary has neither the byte piece <0x{utf8[k]:X2}> nor an unknown token.");
            sink.Add(byteId, origStart, origEnd);
        }
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
