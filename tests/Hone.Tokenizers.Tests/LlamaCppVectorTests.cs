using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>llama.cpp's own tokenizer vectors (test-tokenizer-0): no BOS, no special-token parsing, token for token.</summary>
public class LlamaCppVectorTests
{
    public static TheoryData<string> Vocabs => new()
    {
        "llama-spm", "phi-3", "gpt-2", "deepseek-coder", "deepseek-llm", "falcon", "mpt", "refact", "starcoder",
    };

    internal static (string Text, int[] Ids)[] ReadCases(string name)
    {
        var dir = TestAssets.Path("tokenizers", "llamacpp-vocab");
        var inp = File.ReadAllText(Path.Combine(dir, $"ggml-vocab-{name}.gguf.inp"));
        var texts = inp.Split("\n__ggml_vocab_test__\n");
        Assert.Equal("", texts[^1]);
        var lines = File.ReadAllText(Path.Combine(dir, $"ggml-vocab-{name}.gguf.out")).Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.Equal(texts.Length, lines.Length);
        var cases = new (string, int[])[texts.Length - 1];
        for (var i = 0; i < cases.Length; i++)
            cases[i] = (texts[i], [.. lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]);
        return cases;
    }

    internal static ITokenizer Load(string name) =>
        TokenizerLoader.Load(TestAssets.Path("tokenizers", "llamacpp-vocab", $"ggml-vocab-{name}.gguf"));

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void Every_case_matches_llama_cpp(string name)
    {
        var tok = Load(name);
        var cases = ReadCases(name);
        Assert.Equal(46, cases.Length);
        var failures = new List<string>();
        foreach (var (text, expected) in cases)
        {
            var got = tok.Encode(text, addBos: false, parseSpecial: false);
            if (!got.SequenceEqual(expected))
                failures.Add($"{System.Text.Json.JsonSerializer.Serialize(text)}: expected [{string.Join(' ', expected)}] got [{string.Join(' ', got)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Length} cases differ:\n" + string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void Every_case_round_trips_through_decode(string name)
    {
        var tok = Load(name);
        foreach (var (text, _) in ReadCases(name))
            Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void Offsets_cover_the_text_in_order(string name)
    {
        var tok = Load(name);
        foreach (var (text, _) in ReadCases(name))
            OffsetChecks.AssertOffsetsConsistent(tok, text);
    }
}
