using Hone.Testing;
using Hone.Tokenizers;
using Xunit.Abstractions;

namespace Hone.Interop.Tests;

/// <summary>
/// Microsoft.ML.Tokenizers as a second tokenizer oracle where it loads the same vocabulary (Llama 2's SentencePiece
/// model; GPT-2's byte-level BPE split by GPT-2's and by Llama 3's regex), on llama.cpp's test strings and every line of
/// the datasets (2.5 MB). Where ML.Tokenizers and Hone part, llama.cpp (the same vocabulary) referees: Hone must agree
/// with llama.cpp on every text, and every text where ML.Tokenizers differs is one where it differs from llama.cpp too.
/// </summary>
public class TokenizerOracleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Vocabs => ["llama-spm", "gpt-2", "llama3-bpe"];

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void ML_Tokenizers_gives_Hones_ids_where_it_agrees_with_llama_cpp(string name)
    {
        (ITokenizer hone, Func<string, IReadOnlyList<int>> ml, string? refereeVocab) = name switch
        {
            "llama-spm" => ((ITokenizer)TokenizerLoader.Load(MlTokenizers.Llama2Model), MlTokenizers.Llama2(), (string?)"llama-spm"),
            "gpt-2" => (TokenizerLoader.Load(MlTokenizers.Gpt2Gguf), MlTokenizers.Gpt2Tiktoken(PreTokenizerPatterns.Gpt2), "gpt-2"),
            _ => (Llama3Tokenizer(), MlTokenizers.Gpt2Tiktoken(PreTokenizerPatterns.Llama3), null),
        };
        using var referee = refereeVocab is null ? null
            : LlamaCpp.Load(TestAssets.Path("tokenizers", "llamacpp-vocab", $"ggml-vocab-{refereeVocab}.gguf"), vocabOnly: true);
        var strings = InteropModels.Strings(name == "llama3-bpe" ? "gpt-2" : name);
        var lines = MlTokenizers.RealLines();
        var honeWrong = new List<string>();
        var mlWrong = new List<string>();
        long tokens = 0, chars = 0;
        foreach (var s in strings.Concat(lines))
        {
            var h = hone.Encode(s);
            var m = ml(s);
            tokens += h.Length;
            chars += s.Length;
            var l = referee?.Tokenize(s, addBos: false);
            if (l is not null && !h.SequenceEqual(l)) honeWrong.Add(Describe(s, h, l, hone));
            if (h.SequenceEqual(m)) continue;
            if (l is not null && !m.SequenceEqual(l)) mlWrong.Add(Describe(s, h, m, hone));
            else if (l is null) honeWrong.Add(Describe(s, h, m, hone));
        }

        output.WriteLine($"{name}: {strings.Length} llama.cpp strings + {lines.Length} dataset lines ({chars:N0} chars, {tokens:N0} tokens): " +
                         $"Hone = {(referee is null ? "ML.Tokenizers" : "llama.cpp")} on all but {honeWrong.Count}; ML.Tokenizers differs from Hone and llama.cpp on {mlWrong.Count}");
        foreach (var f in mlWrong.Take(12)) output.WriteLine("  ML.Tokenizers: " + f);
        Assert.True(honeWrong.Count == 0, $"{honeWrong.Count} texts: Hone differs from the reference:\n{string.Join('\n', honeWrong.Take(20))}");
        Assert.True(mlWrong.Count <= MlTokenizersDeviations(name), $"ML.Tokenizers now differs on {mlWrong.Count} texts");
    }

    /// <summary>
    /// Texts on which ML.Tokenizers 3.0.0 is seen to differ from both Hone and llama.cpp (a bound, so a regression on
    /// either side shows): its SentencePiece BPE breaks ties between equal-score merges in runs of one character
    /// ("!!!!!!" → "▁!" "!!!" "!!" where SentencePiece and llama.cpp give "▁!" "!!" "!!!"), on 60 of 10,274 texts.
    /// </summary>
    private static int MlTokenizersDeviations(string name) => name == "llama-spm" ? 60 : 0;

    private static ITokenizer Llama3Tokenizer()
    {
        var dir = TestAssets.NewTempDir("llama3-tok");
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), InteropModels.Gpt2VocabTokenizerJson("llama3"));
        return TokenizerLoader.Load(dir);
    }

    /// <summary>Where two tokenizations of <paramref name="text"/> part: the tokens around the first difference.</summary>
    internal static string Describe(string text, IReadOnlyList<int> hone, IReadOnlyList<int> other, ITokenizer vocab)
    {
        int i = 0;
        while (i < hone.Count && i < other.Count && hone[i] == other[i]) i++;
        int from = Math.Max(0, i - 2);
        string Around(IReadOnlyList<int> ids) => string.Join(' ', ids.Skip(from).Take(8).Select(id => $"{id}:{System.Text.Json.JsonSerializer.Serialize(id < vocab.VocabSize ? vocab.TokenText(id) : "?")}"));
        var head = text.Length > 120 ? text[..120] + "…" : text;
        return $"{System.Text.Json.JsonSerializer.Serialize(head)} (length {text.Length}) differs at token {i}: Hone [{Around(hone)}] other [{Around(other)}]";
    }
}
