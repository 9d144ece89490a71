using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Tokenizers;

/// <summary>
/// Writes a SentencePiece-BPE tokenizer (llama2.c tokenizer.bin, tokenizer.model, a GGUF "llama" vocabulary) as a
/// Hugging Face tokenizer.json in the layout transformers' LlamaConverter produces: a BPE model with byte fallback,
/// merges listed by the score of the piece they make (highest first), the "▁" normalizer (with the dummy prefix when the
/// tokenizer adds one), the byte-fallback decoder, and BOS/EOS/UNK as special added tokens. <see cref="TokenizerJsonReader"/>
/// turns merge order back into scores, so the file encodes exactly as the source does.
/// </summary>
public static class SentencePieceJsonWriter
{
    private const string Space = "\u2581";

    /// <summary>
    /// The tokenizer.json text for <paramref name="tokenizer"/>, or null when its vocabulary cannot be written faithfully
    /// (<paramref name="reason"/> says why): two pieces share a text, two pieces made by merges share a score (merge
    /// order could not keep SentencePiece's leftmost-on-ties choice), or a piece holds a character that is not itself a piece.
    /// </summary>
    public static string? TryWrite(SentencePieceBpeTokenizer tokenizer, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var vocab = tokenizer.Vocab;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocab.Count; i++)
        {
            if (!ids.TryAdd(vocab.Text(i), i))
            {
                reason = $"tokens {ids[vocab.Text(i)]} and {i} share the text \"{vocab.Text(i)}\"";
                return null;
            }
        }

        bool IsNormal(int id) => vocab.Kind(id) == TokenKind.Normal;
        var merges = new List<(int Piece, int Left, int Right)>();
        for (var id = 0; id < vocab.Count; id++)
        {
            if (!IsNormal(id)) continue;
            var text = vocab.Text(id);
            foreach (var rune in text.EnumerateRunes())
            {
                if (!ids.TryGetValue(rune.ToString(), out var r) || !IsNormal(r))
                {
                    reason = $"token {id} \"{text}\" holds the character U+{rune.Value:X4}, which is not a piece of its own";
                    return null;
                }
            }

            var splits = new List<(int Piece, int Left, int Right)>();
            for (var at = 1; at < text.Length; at++)
            {
                if (char.IsLowSurrogate(text[at])) continue;
                if (ids.TryGetValue(text[..at], out var left) && IsNormal(left) && ids.TryGetValue(text[at..], out var right) && IsNormal(right))
                    splits.Add((id, left, right));
            }

            merges.AddRange(splits.OrderBy(s => s.Left).ThenBy(s => s.Right));
        }

        var made = merges.Select(m => m.Piece).Distinct().ToList();
        foreach (var tie in made.GroupBy(vocab.Score).Where(g => g.Count() > 1).Take(1))
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"tokens {string.Join(", ", tie.Take(3))} share the score {tie.Key}");
            return null;
        }

        // Highest score first; a stable sort keeps each piece's splits together in (left id, right id) order.
        merges = [.. merges.OrderByDescending(m => vocab.Score(m.Piece))];
        var unk = Enumerable.Range(0, vocab.Count).Cast<int?>().FirstOrDefault(i => vocab.Kind(i!.Value) == TokenKind.Unknown);
        var added = new JsonArray();
        for (var i = 0; i < vocab.Count; i++)
        {
            if (vocab.Kind(i) is not (TokenKind.Control or TokenKind.Unknown or TokenKind.UserDefined)) continue;
            added.Add(new JsonObject
            {
                ["id"] = i, ["content"] = vocab.Text(i), ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = vocab.Kind(i) != TokenKind.UserDefined,
            });
        }

        var vocabJson = new JsonObject();
        for (var i = 0; i < vocab.Count; i++) vocabJson[vocab.Text(i)] = i;
        var replaceSpace = new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = Space };
        var decoders = new JsonArray
        {
            new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = Space }, ["content"] = " " },
            new JsonObject { ["type"] = "ByteFallback" },
            new JsonObject { ["type"] = "Fuse" },
        };
        if (tokenizer.AddSpacePrefix) decoders.Add(new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 });
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = tokenizer.AddSpacePrefix
                ? new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "Prepend", ["prepend"] = Space }, replaceSpace) }
                : replaceSpace,
            ["pre_tokenizer"] = null,
            ["post_processor"] = PostProcessor(tokenizer),
            ["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = decoders },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = unk is { } u ? vocab.Text(u) : null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["ignore_merges"] = false,
                ["vocab"] = vocabJson,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)new JsonArray(vocab.Text(m.Left), vocab.Text(m.Right)))]),
            },
        };
        reason = null;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>BOS before each sequence, as LlamaTokenizerFast's post-processor adds it (none without a BOS token).</summary>
    private static JsonNode? PostProcessor(SentencePieceBpeTokenizer tokenizer)
    {
        if (tokenizer.BosId is not { } bos) return null;
        var text = tokenizer.Vocab.Text(bos);
        JsonObject Special() => new() { ["SpecialToken"] = new JsonObject { ["id"] = text, ["type_id"] = 0 } };
        JsonObject Seq(string id, int type) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = type } };
        return new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(Special(), Seq("A", 0)),
            ["pair"] = new JsonArray(Special(), Seq("A", 0), Special(), Seq("B", 1)),
            ["special_tokens"] = new JsonObject
            {
                [text] = new JsonObject { ["id"] = text, ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray(text) },
            },
        };
    }
}
