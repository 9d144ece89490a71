namespace Hone.Tokenizers;

/// <summary>
/// A text tokenizer: exact encode/decode as the model's own tokenizer does it.
/// Implementations are immutable and safe to share across threads.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of token ids (the embedding rows the model expects).</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, when the vocabulary has one.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id, when the vocabulary has one.</summary>
    int? EosId { get; }

    /// <summary>
    /// Encodes text. <paramref name="addBos"/> prepends BOS (when the vocabulary has one);
    /// <paramref name="parseSpecial"/> lets special/added tokens written in the text (e.g. "&lt;|im_end|&gt;") map to their ids,
    /// otherwise they are encoded as plain text.
    /// </summary>
    int[] Encode(string text, bool addBos = false, bool parseSpecial = false);

    /// <summary>How many ids <see cref="Encode"/> gives for the same arguments, without keeping them.</summary>
    int CountTokens(string text, bool addBos = false, bool parseSpecial = false) => Encode(text, addBos, parseSpecial).Length;

    /// <summary>
    /// Encodes like <see cref="Encode"/> and also returns, for each id, the [Start, End) range of UTF-16 chars of
    /// <paramref name="text"/> it came from (a BOS added by <paramref name="addBos"/> gets the empty range (0, 0); a
    /// byte-fallback token that covers part of a char gets that char's whole range). This is how character spans
    /// recorded by the chat-template renderer become token positions for the loss mask.
    /// </summary>
    (int[] Ids, (int Start, int End)[] Offsets) EncodeWithOffsets(string text, bool addBos = false, bool parseSpecial = false);

    /// <summary>Decodes ids to text (special tokens are rendered as their text).</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The text of one token id as the vocabulary stores it (e.g. "▁the", "Ġthe", "&lt;0x0A&gt;").</summary>
    string TokenText(int id);
}
