using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// SentencePiece-style BPE (Llama 2, Mistral, TinyStories, Phi-3), exactly as llama.cpp's SPM tokenizer:
/// spaces become "▁", a dummy "▁" is prepended to the text and after every special token, then adjacent symbols
/// are merged greedily, always the pair whose concatenation is the highest-scoring vocabulary entry (leftmost on
/// ties); symbols left outside the vocabulary fall back to "&lt;0xXX&gt;" byte pieces (or the unknown id).
/// </summary>
public sealed class SentencePieceBpeTokenizer : TokenizerBase
{
    private const char Space = '\u2581';
    private readonly int? _unkId;

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

        // Symbols: one per code point, linked list over char ranges.
        var symStart = new int[n];
        var symLen = new int[n];
        var prev = new int[n];
        var next = new int[n];
        var count = 0;
        for (var i = 0; i < n;)
        {
            var len = char.IsHighSurrogate(chars[i]) && i + 1 < n && char.IsLowSurrogate(chars[i + 1]) ? 2 : 1;
            symStart[count] = i;
            symLen[count] = len;
            prev[count] = count - 1;
            next[count] = i + len < n ? count + 1 : -1;
            count++;
            i += len;
        }

        var queue = new PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)>(BigramOrder.Instance);
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            var size = symLen[left] + symLen[right];
            var id = Vocab.Find(chars.AsSpan(symStart[left], size));
            if (id < 0) return;
            queue.Enqueue((left, right, size), (Vocab.Score(id), left));
        }
        for (var i = 1; i < count; i++) TryAdd(i - 1, i);
        while (queue.TryDequeue(out var bg, out _))
        {
            if (symLen[bg.Left] == 0 || symLen[bg.Right] == 0 || symLen[bg.Left] + symLen[bg.Right] != bg.Size) continue;
            symLen[bg.Left] += symLen[bg.Right];
            symLen[bg.Right] = 0;
            next[bg.Left] = next[bg.Right];
            if (next[bg.Right] >= 0) prev[next[bg.Right]] = bg.Left;
            TryAdd(prev[bg.Left], bg.Left);
            TryAdd(bg.Left, next[bg.Left]);
        }

        Span<byte> utf8 = stackalloc byte[8];
        for (var s = count > 0 ? 0 : -1; s >= 0; s = next[s])
        {
            var a = symStart[s];
            var b = a + symLen[s];
            var origStart = start + Math.Max(a - prefix, 0);
            var origEnd = start + Math.Max(b - prefix, 0);
            var id = Vocab.Find(chars.AsSpan(a, b - a));
            if (id >= 0)
            {
                sink.Add(id, origStart, origEnd);
                continue;
            }
            // Not in the vocabulary: a merged symbol always is, so this is one code point; emit its UTF-8 bytes.
            var nb = Encoding.UTF8.GetBytes(chars.AsSpan(a, b - a), utf8);
            for (var k = 0; k < nb; k++)
            {
                var byteId = Vocab.ByteId(utf8[k]);
                if (byteId < 0) byteId = _unkId ?? throw new InvalidOperationException(
                    $"The vocabulary has neither the byte piece <0x{utf8[k]:X2}> nor an unknown token.");
                sink.Add(byteId, origStart, origEnd);
            }
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

    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();

        // PriorityQueue dequeues the smallest: highest score first, then leftmost.
        public int Compare((float Score, int Left) x, (float Score, int Left) y)
        {
            var c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.Left.CompareTo(y.Left);
        }
    }
}
