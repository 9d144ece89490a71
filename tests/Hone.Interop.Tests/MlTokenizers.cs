using System.Text;
using System.Text.RegularExpressions;
using Hone.Formats.Gguf;
using Hone.Testing;
using Hone.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace Hone.Interop.Tests;

/// <summary>Microsoft.ML.Tokenizers loaded with the same vocabularies Hone reads: Llama 2's SentencePiece model, and GPT-2's byte-level BPE.</summary>
internal static class MlTokenizers
{
    public static string Llama2Model => TestAssets.Path("tokenizers", "llama2", "tokenizer.model");

    public static string Gpt2Gguf => TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-gpt-2.gguf");

    /// <summary>Llama 2's tokenizer.model through <see cref="LlamaTokenizer"/>; no BOS/EOS added.</summary>
    public static Func<string, IReadOnlyList<int>> Llama2()
    {
        using var s = File.OpenRead(Llama2Model);
        var t = LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false);
        return text => t.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: true, considerNormalization: true);
    }

    /// <summary>
    /// GPT-2's vocabulary (read from llama.cpp's vocabulary GGUF) as a tiktoken rank file (GPT-2's r50k encoding ranks
    /// tokens by id) through <see cref="TiktokenTokenizer"/>, split by <paramref name="pattern"/> (GPT-2's regex, or
    /// Llama 3's: tiktoken then does what llama.cpp's llama-bpe does, whole pieces found in the vocabulary first).
    /// </summary>
    public static Func<string, IReadOnlyList<int>> Gpt2Tiktoken(string pattern)
    {
        using var g = GgufFile.Open(Gpt2Gguf);
        var tokens = (string[])g.Metadata[LlamaGguf.Keys.Tokens];
        var ranks = new StringBuilder();
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            var bytes = tokens[i].Select(c => ByteLevelMap.TryToByte(c, out var b) ? b : throw new InvalidOperationException($"token {i} is not byte-level")).ToArray();
            ranks.Append(Convert.ToBase64String(bytes)).Append(' ').Append(i).Append('\n');
        }

        var special = new Dictionary<string, int> { [tokens[^1]] = tokens.Length - 1 };
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ranks.ToString()));
        var t = TiktokenTokenizer.Create(stream, new Microsoft.ML.Tokenizers.RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special), normalizer: null, specialTokens: special, cacheSize: 8192);
        return text => t.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true);
    }

    /// <summary>A large real text: the lines of the shared datasets (reviews, news, DPO conversations), about 2.5 MB.</summary>
    public static string[] RealLines() =>
    [
        .. File.ReadAllLines(TestAssets.Path("datasets", "openai-cookbook", "fine_food_reviews_1k.csv")),
        .. File.ReadAllLines(TestAssets.Path("datasets", "openai-cookbook", "AG_news_samples.csv")),
        .. File.ReadAllLines(TestAssets.Path("datasets", "llama-factory-demo", "dpo_en_demo.json")),
    ];
}
