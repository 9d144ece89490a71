using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;

namespace Hone.Tokenizers.Training;

/// <summary>
/// A byte-level BPE tokenizer learned by <see cref="BpeTrainer"/>: its vocabulary (id order), merge rules (priority
/// order) and special tokens. Written as a Hugging Face tokenizer.json that <see cref="TokenizerJsonReader"/> (and the
/// Python <c>tokenizers</c> library) read back.
/// </summary>
public sealed class TrainedBpe
{
    internal TrainedBpe(IReadOnlyList<string> vocab, IReadOnlyList<string> merges, IReadOnlyList<string> specialTokens, string pattern)
    {
        Vocab = vocab;
        Merges = merges;
        SpecialTokens = [.. specialTokens];
        Pattern = pattern;
    }

    /// <summary>Token texts by id: 256 byte symbols, the merged symbols, then the special tokens (raw text).</summary>
    public IReadOnlyList<string> Vocab { get; }

    /// <summary>Merge rules in priority order, each "left right".</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>The special tokens (the last ids of the vocabulary).</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The word-splitting regex.</summary>
    public string Pattern { get; }

    /// <summary>Vocabulary size (special tokens included).</summary>
    public int VocabSize => Vocab.Count;

    /// <summary>The id of a special token.</summary>
    /// <exception cref="KeyNotFoundException">It is not one of <see cref="SpecialTokens"/>.</exception>
    public int SpecialId(string token)
    {
        var i = SpecialTokens.ToList().IndexOf(token);
        if (i < 0) throw new KeyNotFoundException($"\"{token}\" is not a special token of this tokenizer (it has: {string.Join(", ", SpecialTokens)}).");
        return Vocab.Count - SpecialTokens.Count + i;
    }

    /// <summary>A tokenizer over this vocabulary (the same one <see cref="TokenizerJsonReader"/> builds from <see cref="ToTokenizerJson"/>).</summary>
    public ByteLevelBpeTokenizer CreateTokenizer(string? bosToken = null, string? eosToken = null)
    {
        var kinds = new TokenKind[Vocab.Count];
        for (var i = Vocab.Count - SpecialTokens.Count; i < Vocab.Count; i++) kinds[i] = TokenKind.Control;
        int? Id(string? t) => t is null ? null : SpecialId(t);
        return new ByteLevelBpeTokenizer(new Vocabulary(Vocab, null, kinds), Merges, new RegexPreTokenizer([Pattern]), Id(bosToken), Id(eosToken));
    }

    /// <summary>The Hugging Face tokenizer.json text (BPE model, ByteLevel pre-tokenizer and decoder, special tokens as added tokens).</summary>
    public string ToTokenizerJson()
    {
        var added = new JsonArray();
        foreach (var s in SpecialTokens)
        {
            added.Add(new JsonObject
            {
                ["id"] = SpecialId(s), ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        var vocab = new JsonObject();
        for (var i = 0; i < Vocab.Count - SpecialTokens.Count; i++) vocab[Vocab[i]] = i;
        var merges = new JsonArray();
        foreach (var m in Merges)
        {
            var sp = m.IndexOf(' ', StringComparison.Ordinal);
            merges.Add(new JsonArray(m[..sp], m[(sp + 1)..]));
        }
        JsonNode byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = Pattern == PreTokenizerPatterns.Gpt2 };
        var preTokenizer = Pattern == PreTokenizerPatterns.Gpt2 ? byteLevel : new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                byteLevel),
        };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Writes <see cref="ToTokenizerJson"/> to <paramref name="path"/> atomically.</summary>
    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllText(path, ToTokenizerJson());
    }
}
