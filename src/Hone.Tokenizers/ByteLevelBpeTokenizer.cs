using System.Collections.Concurrent;
using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen2/2.5/3, SmolLM, DeepSeek, Falcon, MPT, StarCoder, Refact), exactly as
/// llama.cpp and Hugging Face do it: the text is split into words by the family's regexes, each word's UTF-8 bytes
/// are mapped to chars (<see cref="ByteLevelMap"/>), and adjacent symbols are merged by merge rank, lowest first
/// (leftmost on ties). A symbol that ends outside the vocabulary is emitted char by char.
/// Word→ids results are cached (bounded; looked up by span, no allocation on a hit).
/// </summary>
public sealed class ByteLevelBpeTokenizer : TokenizerBase
{
    /// <summary>Most words kept in the encode cache before it is cleared.</summary>
    public const int MaxCachedWords = 65_536;

    /// <summary>Longest word (UTF-16 chars) that is cached.</summary>
    private const int MaxCachedWordChars = 64;

    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly Dictionary<string, int> _symbols;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _symbolLookup;
    private readonly int[] _charSymbol = new int[512];
    private readonly ConcurrentDictionary<string, (int[] Ids, int[] ByteEnds)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int[] Ids, int[] ByteEnds)>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    /// <summary>Creates the tokenizer.</summary>
    /// <param name="vocab">Texts in byte-mapped form ("Ġthe"); added/special tokens in raw form.</param>
    /// <param name="merges">Merge rules in priority order, each "left right" (one space between the two parts).</param>
    /// <param name="preTokenizer">The family's word splitter.</param>
    /// <param name="bosId">Beginning-of-sequence id, or null.</param>
    /// <param name="eosId">End-of-sequence id, or null.</param>
    /// <param name="ignoreMerges">Emit a word that is itself a vocabulary entry as that one token (Llama 3).</param>
    /// <exception cref="TokenizerFormatException">A merge rule is malformed.</exception>
    public ByteLevelBpeTokenizer(Vocabulary vocab, IReadOnlyList<string> merges, RegexPreTokenizer preTokenizer,
        int? bosId, int? eosId, bool ignoreMerges = false)
        : base(vocab, bosId, eosId)
    {
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(preTokenizer);
        PreTokenizer = preTokenizer;
        IgnoreMerges = ignoreMerges;
        _symbols = new Dictionary<string, int>(vocab.Count + 1024, StringComparer.Ordinal);
        for (var i = 0; i < vocab.Count; i++)
            if (vocab.Kind(i) is TokenKind.Normal or TokenKind.Byte or TokenKind.Unused) _symbols.TryAdd(vocab.Text(i), i);
        for (var i = 0; i < vocab.Count; i++) _symbols.TryAdd(vocab.Text(i), i);
        for (var b = 0; b < 256; b++) _charSymbol[b] = SymbolId(ByteLevelMap.ToChar((byte)b).ToString());
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var r = 0; r < merges.Count; r++)
        {
            var m = merges[r] ?? throw new TokenizerFormatException($"Merge {r} is null.");
            var sp = m.IndexOf(' ', 1);
            if (sp <= 0 || sp == m.Length - 1)
                throw new TokenizerFormatException($"Merge {r} \"{m}\" is not two parts separated by one space.");
            var left = SymbolId(m[..sp]);
            var right = SymbolId(m[(sp + 1)..]);
            var merged = SymbolId(string.Concat(m.AsSpan(0, sp), m.AsSpan(sp + 1)));
            _merges.TryAdd(Key(left, right), (r, merged));
        }
        _symbolLookup = _symbols.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The word splitter.</summary>
    public RegexPreTokenizer PreTokenizer { get; }

    /// <summary>Whether whole-word vocabulary hits skip the merges.</summary>
    public bool IgnoreMerges { get; }

    // Symbols outside the vocabulary (merge parts that are not tokens) get ids past the vocabulary.
    private int SymbolId(string text)
    {
        if (_symbols.TryGetValue(text, out var id)) return id;
        id = Vocab.Count + _symbols.Count;
        _symbols[text] = id;
        return id;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private protected override void EncodeRaw(string text, int start, int length, bool afterSpecial, TokenSink sink)
    {
        var fragment = start == 0 && length == text.Length ? text : text.Substring(start, length);
        var shift = 0;
        if (PreTokenizer.AddPrefixSpace && afterSpecial && fragment.Length > 0 && fragment[0] != ' ')
        {
            fragment = " " + fragment;
            shift = 1;
        }
        foreach (var (ps, pl) in PreTokenizer.Split(fragment))
        {
            var word = fragment.AsSpan(ps, pl);
            var (ids, ends) = EncodeWord(word);
            if (sink.Offsets is null)
            {
                sink.AddRange(ids);
                continue;
            }
            // Byte index -> [start, end) of the UTF-16 char it belongs to (within the word).
            var charStart = new int[ends[^1]];
            var charEnd = new int[ends[^1]];
            for (int ci = 0, bi = 0; ci < pl;)
            {
                var units = CharUnits(word, ci);
                var nb = units == 2 ? 4 : word[ci] < 0x80 ? 1 : word[ci] < 0x800 ? 2 : 3;
                for (var k = 0; k < nb && bi < charStart.Length; k++, bi++)
                {
                    charStart[bi] = ci;
                    charEnd[bi] = ci + units;
                }
                ci += units;
            }
            var from = 0;
            for (var t = 0; t < ids.Length; t++)
            {
                var s = Math.Max(start + ps + charStart[from] - shift, start);
                var e = Math.Max(start + ps + charEnd[ends[t] - 1] - shift, start);
                sink.Add(ids[t], s, e);
                from = ends[t];
            }
        }
    }

    private static int CharUnits(ReadOnlySpan<char> s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    private (int[] Ids, int[] ByteEnds) EncodeWord(ReadOnlySpan<char> word)
    {
        var cacheable = word.Length <= MaxCachedWordChars;
        if (cacheable && _cacheLookup.TryGetValue(word, out var hit)) return hit;
        var result = Bpe(word);
        if (cacheable)
        {
            if (_cache.Count >= MaxCachedWords) _cache.Clear();
            _cacheLookup.TryAdd(word, result);
        }
        return result;
    }

    private (int[] Ids, int[] ByteEnds) Bpe(ReadOnlySpan<char> word)
    {
        var byteCount = Encoding.UTF8.GetByteCount(word);
        var bytes = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(word, bytes);
        var n = bytes.Length;
        var mapped = new char[n];
        for (var i = 0; i < n; i++) mapped[i] = ByteLevelMap.ToChar(bytes[i]);

        if (IgnoreMerges)
        {
            var whole = Vocab.Find(mapped);
            if (whole >= 0) return ([whole], [n]);
        }

        var sym = new int[n];
        var len = new int[n];
        var prev = new int[n];
        var next = new int[n];
        for (var i = 0; i < n; i++)
        {
            sym[i] = _charSymbol[bytes[i]];
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var queue = new PriorityQueue<(int Left, int Right, int LeftSym, int RightSym), (int Rank, int Left)>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            if (_merges.TryGetValue(Key(sym[left], sym[right]), out var m))
                queue.Enqueue((left, right, sym[left], sym[right]), (m.Rank, left));
        }
        for (var i = 1; i < n; i++) TryAdd(i - 1, i);
        while (queue.TryDequeue(out var bg, out _))
        {
            if (len[bg.Left] == 0 || len[bg.Right] == 0 || sym[bg.Left] != bg.LeftSym || sym[bg.Right] != bg.RightSym
                || next[bg.Left] != bg.Right) continue;
            sym[bg.Left] = _merges[Key(bg.LeftSym, bg.RightSym)].Merged;
            len[bg.Left] += len[bg.Right];
            len[bg.Right] = 0;
            next[bg.Left] = next[bg.Right];
            if (next[bg.Right] >= 0) prev[next[bg.Right]] = bg.Left;
            TryAdd(prev[bg.Left], bg.Left);
            TryAdd(bg.Left, next[bg.Left]);
        }

        var ids = new List<int>(n);
        var lens = new List<int>(n);
        var pos = 0;
        for (var s = 0; s >= 0; s = next[s])
        {
            var l = len[s];
            var id = sym[s] < Vocab.Count ? sym[s] : Vocab.Find(mapped.AsSpan(pos, l));
            if (id >= 0)
            {
                ids.Add(id);
                lens.Add(pos + l);
            }
            else
            {
                for (var k = 0; k < l; k++)
                {
                    var c = _charSymbol[bytes[pos + k]];
                    if (c < Vocab.Count)
                    {
                        ids.Add(c);
                        lens.Add(pos + k + 1);
                    }
                    else if (lens.Count > 0) lens[^1] = pos + k + 1; // a byte the vocabulary cannot express is dropped
                }
            }
            pos += l;
        }
        return ([.. ids], [.. lens]);
    }

    private protected override void AppendPieceBytes(int id, bool afterSpecial, List<byte> bytes)
    {
        var text = Vocab.Text(id);
        for (var i = 0; i < text.Length; i++)
        {
            if (ByteLevelMap.TryToByte(text[i], out var b)) bytes.Add(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, CharUnits(text, i))));
            if (CharUnits(text, i) == 2) i++;
        }
    }
}
