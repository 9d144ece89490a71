using System.Text;

namespace Hone.Tokenizers;

/// <summary>Counts ids and collects them and, when asked, their UTF-16 ranges in the input.</summary>
internal sealed class TokenSink(bool withIds, bool withOffsets)
{
    public readonly List<int>? Ids = withIds ? [] : null;
    public readonly List<(int Start, int End)>? Offsets = withOffsets ? [] : null;

    /// <summary>Ids added so far.</summary>
    public int Count { get; private set; }

    /// <summary>True when the sink keeps neither ids nor offsets (only <see cref="Count"/> is read).</summary>
    public bool CountOnly => Ids is null && Offsets is null;

    /// <summary>Counts <paramref name="n"/> ids without keeping them (a <see cref="CountOnly"/> sink).</summary>
    public void AddCount(int n)
    {
        if (!CountOnly) throw new InvalidOperationException("This sink keeps ids or offsets; add them one by one.");
        Count += n;
    }

    public void Add(int id, int start, int end)
    {
        Count++;
        Ids?.Add(id);
        Offsets?.Add((start, end));
    }

    /// <summary>Adds ids without offsets (a sink that keeps none).</summary>
    public void AddRange(int[] ids)
    {
        Count += ids.Length;
        Ids?.AddRange(ids);
    }
}

/// <summary>
/// Shared pipeline of the tokenizers: BOS, special/added-token splitting, then the model on each raw-text fragment;
/// decoding concatenates the bytes of every piece and reads them as UTF-8 once.
/// </summary>
public abstract class TokenizerBase : ITokenizer
{
    private readonly SpecialTokenSplitter _splitter;

    private protected TokenizerBase(Vocabulary vocab, int? bosId, int? eosId)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        Vocab = vocab;
        if (bosId is { } b && !vocab.Contains(b))
            throw new TokenizerFormatException($"BOS id {b} is outside the vocabulary of {vocab.Count} tokens.");
        if (eosId is { } e && !vocab.Contains(e))
            throw new TokenizerFormatException($"EOS id {e} is outside the vocabulary of {vocab.Count} tokens.");
        BosId = bosId;
        EosId = eosId;
        _splitter = new SpecialTokenSplitter(vocab);
    }

    /// <summary>The vocabulary (texts, scores, kinds).</summary>
    public Vocabulary Vocab { get; }

    /// <inheritdoc/>
    public int VocabSize => Vocab.Count;

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <inheritdoc/>
    public int[] Encode(string text, bool addBos = false, bool parseSpecial = false)
    {
        var sink = new TokenSink(true, false);
        Run(text, addBos, parseSpecial, sink);
        return [.. sink.Ids!];
    }

    /// <inheritdoc/>
    public int CountTokens(string text, bool addBos = false, bool parseSpecial = false)
    {
        var sink = new TokenSink(false, false);
        Run(text, addBos, parseSpecial, sink);
        return sink.Count;
    }

    /// <inheritdoc/>
    public (int[] Ids, (int Start, int End)[] Offsets) EncodeWithOffsets(string text, bool addBos = false, bool parseSpecial = false)
    {
        var sink = new TokenSink(true, true);
        Run(text, addBos, parseSpecial, sink);
        return ([.. sink.Ids!], [.. sink.Offsets!]);
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        var afterSpecial = true;
        foreach (var id in ids)
        {
            if (!Vocab.Contains(id))
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary of {Vocab.Count} tokens.");
            var kind = Vocab.Kind(id);
            if (kind is TokenKind.Control or TokenKind.UserDefined or TokenKind.Unknown)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(Vocab.Text(id)));
                afterSpecial = true;
                continue;
            }
            AppendPieceBytes(id, afterSpecial, bytes);
            afterSpecial = false;
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <inheritdoc/>
    public string TokenText(int id)
    {
        if (!Vocab.Contains(id)) throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary of {Vocab.Count} tokens.");
        return Vocab.Text(id);
    }

    private void Run(string text, bool addBos, bool parseSpecial, TokenSink sink)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (addBos && BosId is { } bos) sink.Add(bos, 0, 0);
        var afterSpecial = true;
        foreach (var frag in _splitter.Split(text, parseSpecial))
        {
            if (frag.IsToken)
            {
                sink.Add(frag.TokenId, frag.Start, frag.Start + frag.Length);
                afterSpecial = true;
            }
            else
            {
                EncodeRaw(text, frag.Start, frag.Length, afterSpecial, sink);
                afterSpecial = false;
            }
        }
    }

    /// <summary>Encodes raw text [start, start+length) of <paramref name="text"/> (no special tokens inside).</summary>
    private protected abstract void EncodeRaw(string text, int start, int length, bool afterSpecial, TokenSink sink);

    /// <summary>Appends the bytes a normal/byte piece decodes to.</summary>
    private protected abstract void AppendPieceBytes(int id, bool afterSpecial, List<byte> bytes);
}
