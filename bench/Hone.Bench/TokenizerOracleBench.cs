using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Hone.Formats.Gguf;
using Hone.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace Hone.Bench;

/// <summary>
/// Hone's tokenizers against Microsoft.ML.Tokenizers 3.0.0 on the same vocabularies and the same text, in one run:
/// Llama 2's SentencePiece model (ML.Tokenizers' LlamaTokenizer) and GPT-2's byte-level BPE (ML.Tokenizers'
/// TiktokenTokenizer over GPT-2's ranks with GPT-2's regex). The text is every line of the shared datasets (reviews, news,
/// DPO conversations: ~2.5 MB), each line encoded on its own as a tokenizer sees documents. MB/s = TextBytes / mean time.
/// The ids agree (tests/Hone.Interop.Tests TokenizerOracleTests). Needs ../shared/assets (or HONE_SHARED).
///   dotnet run -c Release --project bench/Hone.Bench -- --filter '*TokenizerOracleBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class TokenizerOracleBench
{
    private ITokenizer _honeSpm = null!;
    private ITokenizer _honeGpt2 = null!;
    private LlamaTokenizer _mlSpm = null!;
    private TiktokenTokenizer _mlGpt2 = null!;
    private string[] _lines = [];

    /// <summary>Size of the benchmark text in UTF-8 bytes.</summary>
    public long TextBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var assets = SharedAssets();
        var spmModel = Path.Combine(assets, "tokenizers", "llama2", "tokenizer.model");
        var gpt2 = Path.Combine(assets, "tokenizers", "llamacpp-vocab", "ggml-vocab-gpt-2.gguf");
        _honeSpm = TokenizerLoader.Load(spmModel);
        _honeGpt2 = TokenizerLoader.Load(gpt2);
        using (var s = File.OpenRead(spmModel)) _mlSpm = LlamaTokenizer.Create(s, addBeginOfSentence: false, addEndOfSentence: false);
        _mlGpt2 = Gpt2Tiktoken(gpt2);
        _lines =
        [
            .. File.ReadAllLines(Path.Combine(assets, "datasets", "openai-cookbook", "fine_food_reviews_1k.csv")),
            .. File.ReadAllLines(Path.Combine(assets, "datasets", "openai-cookbook", "AG_news_samples.csv")),
            .. File.ReadAllLines(Path.Combine(assets, "datasets", "llama-factory-demo", "dpo_en_demo.json")),
        ];
        TextBytes = _lines.Sum(l => (long)Encoding.UTF8.GetByteCount(l));
        Console.WriteLine($"// TokenizerOracleBench text: {_lines.Length} lines, {TextBytes} UTF-8 bytes");
    }

    [Benchmark(Baseline = true)]
    public long HoneSentencePieceLlama2()
    {
        long n = 0;
        foreach (var l in _lines) n += _honeSpm.Encode(l).Length;
        return n;
    }

    [Benchmark]
    public long MlTokenizersSentencePieceLlama2()
    {
        long n = 0;
        foreach (var l in _lines) n += _mlSpm.EncodeToIds(l, addBeginningOfSentence: false, addEndOfSentence: false).Count;
        return n;
    }

    [Benchmark]
    public long HoneByteLevelGpt2()
    {
        long n = 0;
        foreach (var l in _lines) n += _honeGpt2.Encode(l).Length;
        return n;
    }

    [Benchmark]
    public long MlTokenizersTiktokenGpt2()
    {
        long n = 0;
        foreach (var l in _lines) n += _mlGpt2.EncodeToIds(l).Count;
        return n;
    }

    /// <summary>GPT-2's vocabulary as tiktoken ranks (r50k ranks tokens by id), split by GPT-2's regex.</summary>
    private static TiktokenTokenizer Gpt2Tiktoken(string vocabGguf)
    {
        using var g = GgufFile.Open(vocabGguf);
        var tokens = (string[])g.Metadata[LlamaGguf.Keys.Tokens];
        var ranks = new StringBuilder();
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            var bytes = tokens[i].Select(c => ByteLevelMap.TryToByte(c, out var b) ? b : throw new InvalidDataException($"token {i} is not byte-level")).ToArray();
            ranks.Append(Convert.ToBase64String(bytes)).Append(' ').Append(i).Append('\n');
        }

        var special = new Dictionary<string, int> { [tokens[^1]] = tokens.Length - 1 };
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ranks.ToString()));
        return TiktokenTokenizer.Create(stream, new Microsoft.ML.Tokenizers.RegexPreTokenizer(new Regex(PreTokenizerPatterns.Gpt2, RegexOptions.Compiled), special), normalizer: null, specialTokens: special, cacheSize: 8192);
    }

    private static string SharedAssets()
    {
        var env = Environment.GetEnvironmentVariable("HONE_SHARED");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(Path.Combine(env, "assets")) ? Path.Combine(env, "assets") : env;
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "shared", "assets");
            if (Directory.Exists(candidate)) return candidate;
        }

        throw new DirectoryNotFoundException("shared/assets not found: set HONE_SHARED to the shared folder.");
    }
}
