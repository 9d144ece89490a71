using System.Buffers.Binary;
using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// Reads llama2.c's tokenizer.bin: int32 max_token_length, then per token float32 score, int32 byte length, UTF-8 bytes.
/// The vocabulary size is not stored: tokens run to the end of the file. llama2.c writes "▁" as a space and BOS/EOS
/// as "\n&lt;s&gt;\n"/"\n&lt;/s&gt;\n"; this reader restores SentencePiece's texts ("▁", "&lt;s&gt;", "&lt;/s&gt;") so the
/// vocabulary equals the one in tokenizer.model or a GGUF file. Ids: UNK 0, BOS 1, EOS 2, byte pieces 3..258.
/// </summary>
public static class LlamaCTokenizerReader
{
    /// <summary>Largest file accepted (bytes).</summary>
    public const long MaxFileBytes = 512L * 1024 * 1024;

    /// <summary>Reads a tokenizer.bin file into a SentencePiece-BPE tokenizer.</summary>
    /// <exception cref="TokenizerFormatException">The file is truncated, has a negative or huge length, or invalid UTF-8.</exception>
    public static SentencePieceBpeTokenizer Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        if (info.Length > MaxFileBytes)
            throw new TokenizerFormatException($"{path}: {info.Length} bytes is larger than the {MaxFileBytes}-byte cap for a tokenizer.bin.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses tokenizer.bin bytes; <paramref name="name"/> names the source in error messages.</summary>
    public static SentencePieceBpeTokenizer Parse(ReadOnlySpan<byte> data, string name)
    {
        if (data.Length < 4) throw new TokenizerFormatException($"{name}: {data.Length} bytes is too short for a tokenizer.bin (needs the int32 max_token_length header).");
        var maxLen = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxLen <= 0 || maxLen > Vocabulary.MaxTokenChars)
            throw new TokenizerFormatException($"{name}: byte offset 0: max_token_length {maxLen} is not in 1..{Vocabulary.MaxTokenChars}; this is not a llama2.c tokenizer.bin.");
        var utf8 = new UTF8Encoding(false, true);
        var texts = new List<string>();
        var scores = new List<float>();
        var kinds = new List<TokenKind>();
        var pos = 4;
        while (pos < data.Length)
        {
            if (texts.Count >= Vocabulary.MaxTokens)
                throw new TokenizerFormatException($"{name}: byte offset {pos}: more than {Vocabulary.MaxTokens} tokens.");
            if (data.Length - pos < 8)
                throw new TokenizerFormatException($"{name}: byte offset {pos}: token {texts.Count} is truncated (needs a float32 score and an int32 length). Re-export the file.");
            var score = BinaryPrimitives.ReadSingleLittleEndian(data[pos..]);
            var len = BinaryPrimitives.ReadInt32LittleEndian(data[(pos + 4)..]);
            if (len < 0 || len > maxLen)
                throw new TokenizerFormatException($"{name}: byte offset {pos + 4}: token {texts.Count} has length {len}, outside 0..{maxLen} (max_token_length).");
            pos += 8;
            if (data.Length - pos < len)
                throw new TokenizerFormatException($"{name}: byte offset {pos}: token {texts.Count} declares {len} bytes but only {data.Length - pos} remain. Re-export the file.");
            string text;
            try { text = utf8.GetString(data.Slice(pos, len)); }
            catch (DecoderFallbackException ex)
            {
                throw new TokenizerFormatException($"{name}: byte offset {pos}: token {texts.Count} is not valid UTF-8.", ex);
            }
            pos += len;
            var id = texts.Count;
            var kind = TokenKind.Normal;
            if (id == 0) kind = TokenKind.Unknown;
            else if (id is 1 or 2)
            {
                kind = TokenKind.Control;
                text = text.Trim('\n');
            }
            else if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>') kind = TokenKind.Byte;
            else text = text.Replace(' ', '\u2581');
            texts.Add(text);
            scores.Add(score);
            kinds.Add(kind);
        }
        if (texts.Count < 3) throw new TokenizerFormatException($"{name}: only {texts.Count} tokens; a llama2.c vocabulary has at least <unk>, <s> and </s>.");
        var vocab = new Vocabulary(texts, scores, kinds);
        return new SentencePieceBpeTokenizer(vocab, bosId: 1, eosId: 2, unkId: 0, addSpacePrefix: true);
    }
}
