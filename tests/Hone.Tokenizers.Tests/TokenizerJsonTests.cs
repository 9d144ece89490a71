using System.Text.Json;
using Hone.Formats.Gguf;
using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>tokenizer.json files written from the GGUF vocabularies must reproduce llama.cpp's vectors too.</summary>
public class TokenizerJsonTests
{
    private static string GgufPath(string name) => TestAssets.Path("tokenizers", "llamacpp-vocab", $"ggml-vocab-{name}.gguf");

    private static void AddedTokens(string[] tokens, int[] types, out List<object> added)
    {
        added = [];
        for (var i = 0; i < tokens.Length; i++)
            if (types[i] is 3 or 4) added.Add(new { id = i, content = tokens[i], special = types[i] == 3 });
    }

    private static string WriteByteLevelJson(string name, object preTokenizer)
    {
        using var g = GgufFile.Open(GgufPath(name));
        var tokens = (string[])g.Metadata["tokenizer.ggml.tokens"];
        var types = (int[])g.Metadata["tokenizer.ggml.token_type"];
        var merges = (string[])g.Metadata["tokenizer.ggml.merges"];
        AddedTokens(tokens, types, out var added);
        var vocab = new Dictionary<string, int>();
        for (var i = 0; i < tokens.Length; i++) if (types[i] is not (3 or 4)) vocab.TryAdd(tokens[i], i);
        var json = new
        {
            version = "1.0",
            added_tokens = added,
            normalizer = (object?)null,
            pre_tokenizer = preTokenizer,
            decoder = new { type = "ByteLevel" },
            model = new { type = "BPE", vocab, merges },
        };
        var dir = TestAssets.NewTempDir(name);
        var path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return dir;
    }

    private static void AssertVectors(ITokenizer tok, string name)
    {
        foreach (var (text, expected) in LlamaCppVectorTests.ReadCases(name))
            Assert.True(expected.SequenceEqual(tok.Encode(text)), $"{name}: {JsonSerializer.Serialize(text)}: expected [{string.Join(' ', expected)}] got [{string.Join(' ', tok.Encode(text))}]");
    }

    [Fact]
    public void Gpt2_tokenizer_json_with_ByteLevel_matches_llama_cpp()
    {
        var dir = WriteByteLevelJson("gpt-2", new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true });
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token": "<|endoftext|>", "eos_token": {"content": "<|endoftext|>"}}""");
        var tok = TokenizerLoader.Load(dir);
        Assert.IsType<ByteLevelBpeTokenizer>(tok);
        Assert.Equal(50256, tok.BosId);
        Assert.Equal(50256, tok.EosId);
        AssertVectors(tok, "gpt-2");
        Assert.Equal([50256], tok.Encode("<|endoftext|>", parseSpecial: true));
        Assert.NotEqual([50256], tok.Encode("<|endoftext|>", parseSpecial: false));
    }

    [Fact]
    public void Starcoder_tokenizer_json_with_Digits_then_ByteLevel_matches_llama_cpp()
    {
        var pre = new
        {
            type = "Sequence",
            pretokenizers = new object[]
            {
                new { type = "Digits", individual_digits = true },
                new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            },
        };
        AssertVectors(TokenizerLoader.Load(Path.Combine(WriteByteLevelJson("starcoder", pre), "tokenizer.json")), "starcoder");
    }

    [Fact]
    public void Llama_spm_tokenizer_json_with_byte_fallback_matches_llama_cpp()
    {
        using var g = GgufFile.Open(GgufPath("llama-spm"));
        var tokens = (string[])g.Metadata["tokenizer.ggml.tokens"];
        var scores = (float[])g.Metadata["tokenizer.ggml.scores"];
        var types = (int[])g.Metadata["tokenizer.ggml.token_type"];
        // Merges as Hugging Face's converter makes them: every split of a normal piece into two pieces, best score first.
        var ids = new Dictionary<string, int>();
        for (var i = 0; i < tokens.Length; i++) ids.TryAdd(tokens[i], i);
        var merges = new List<(float Score, int Id, int LeftId, string Rule)>();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (types[i] != 1) continue;
            var t = tokens[i];
            for (var k = 1; k < t.Length; k++)
                if (!char.IsLowSurrogate(t[k]) && ids.TryGetValue(t[..k], out var l) && ids.ContainsKey(t[k..]))
                    merges.Add((scores[i], i, l, t[..k] + " " + t[k..]));
        }
        var ordered = merges.OrderByDescending(m => m.Score).ThenBy(m => m.Id).ThenBy(m => m.LeftId).Select(m => m.Rule).ToArray();
        var vocab = new Dictionary<string, int>();
        for (var i = 0; i < tokens.Length; i++) vocab.TryAdd(tokens[i], i);
        AddedTokens(tokens, types, out var added);
        var json = new
        {
            added_tokens = added,
            normalizer = new { type = "Sequence", normalizers = new object[] { new { type = "Prepend", prepend = "\u2581" }, new { type = "Replace", pattern = new { String = " " }, content = "\u2581" } } },
            pre_tokenizer = (object?)null,
            model = new { type = "BPE", vocab, merges = ordered, byte_fallback = true, unk_token = "<unk>" },
        };
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), JsonSerializer.Serialize(json));
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"bos_token_id": 1, "eos_token_id": 2}""");
        var tok = TokenizerLoader.Load(dir);
        Assert.IsType<SentencePieceBpeTokenizer>(tok);
        Assert.Equal((1, 2), (tok.BosId!.Value, tok.EosId!.Value));
        AssertVectors(tok, "llama-spm");
    }
}
