using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// An immutable vocabulary: the text, score and kind of every id, and a text→id lookup.
/// When a text occurs twice the later id wins (as llama.cpp builds its map).
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Largest vocabulary accepted from any file (guards against hostile counts).</summary>
    public const int MaxTokens = 4_000_000;

    /// <summary>Largest token text accepted, in UTF-16 chars.</summary>
    public const int MaxTokenChars = 65_536;

    private readonly string[] _texts;
    private readonly float[] _scores;
    private readonly TokenKind[] _kinds;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;
    private readonly int[] _byteIds;

    /// <summary>Builds a vocabulary. <paramref name="scores"/> and <paramref name="kinds"/> may be null (0 and Normal).</summary>
    /// <exception cref="TokenizerFormatException">Counts disagree, the vocabulary is empty or too large, or a text is too long.</exception>
    public Vocabulary(IReadOnlyList<string> texts, IReadOnlyList<float>? scores = null, IReadOnlyList<TokenKind>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new TokenizerFormatException("The vocabulary is empty: a tokenizer needs at least one token.");
        if (texts.Count > MaxTokens)
            throw new TokenizerFormatException($"The vocabulary declares {texts.Count} tokens; at most {MaxTokens} are accepted.");
        if (scores is not null && scores.Count != texts.Count)
            throw new TokenizerFormatException($"The vocabulary has {texts.Count} tokens but {scores.Count} scores: the two arrays must have the same length.");
        if (kinds is not null && kinds.Count != texts.Count)
            throw new TokenizerFormatException($"The vocabulary has {texts.Count} tokens but {kinds.Count} token types: the two arrays must have the same length.");
        var n = texts.Count;
        _texts = new string[n];
        _scores = new float[n];
        _kinds = new TokenKind[n];
        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var t = texts[i] ?? throw new TokenizerFormatException($"Token {i} has no text.");
            if (t.Length > MaxTokenChars)
                throw new TokenizerFormatException($"Token {i} is {t.Length} chars long; at most {MaxTokenChars} are accepted.");
            _texts[i] = t;
            _scores[i] = scores?[i] ?? 0f;
            var k = kinds?[i] ?? TokenKind.Normal;
            _kinds[i] = Enum.IsDefined(k) ? k : TokenKind.Normal;
            _ids[t] = i;
        }
        _spanIds = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteIds = new int[256];
        for (var b = 0; b < 256; b++)
            _byteIds[b] = _ids.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
    }

    /// <summary>Number of ids.</summary>
    public int Count => _texts.Length;

    /// <summary>Text of an id.</summary>
    public string Text(int id) => _texts[id];

    /// <summary>Score of an id (SentencePiece log-probability or merge priority; 0 when the source has none).</summary>
    public float Score(int id) => _scores[id];

    /// <summary>Kind of an id.</summary>
    public TokenKind Kind(int id) => _kinds[id];

    /// <summary>The id whose text is exactly <paramref name="text"/>, or -1.</summary>
    public int Find(ReadOnlySpan<char> text) => _spanIds.TryGetValue(text, out var id) ? id : -1;

    /// <summary>The id of the byte-fallback piece "&lt;0xXX&gt;" for <paramref name="b"/>, or -1.</summary>
    public int ByteId(byte b) => _byteIds[b];

    /// <summary>True when the id is in range.</summary>
    public bool Contains(int id) => (uint)id < (uint)_texts.Length;

    /// <summary>Ids that are matched in raw text before the model runs (control, user-defined, unknown), longest first.</summary>
    internal int[] SpecialIdsLongestFirst()
    {
        var list = new List<int>();
        for (var i = 0; i < _texts.Length; i++)
        {
            var k = _kinds[i];
            if ((k is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown) && _texts[i].Length > 0) list.Add(i);
        }
        return [.. list.OrderByDescending(i => Encoding.UTF8.GetByteCount(_texts[i])).ThenBy(i => i)];
    }
}
