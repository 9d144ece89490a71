using System.Text;
using BenchmarkDotNet.Attributes;
using Hone.Tokenizers;

namespace Hone.Bench;

/// <summary>
/// Encode throughput of the SentencePiece-BPE (Llama 2 vocabulary) and byte-level BPE (GPT-2) tokenizers on ~2 MB of
/// deterministic mixed text (prose, code, digits, whitespace runs, accents, CJK, emoji). MB/s = 2 MB / mean time.
/// Needs ../shared/assets (or HONE_SHARED).
///   dotnet run -c Release --project bench/Hone.Bench -- --filter '*TokenizerBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class TokenizerBench
{
    private ITokenizer _spm = null!;
    private ITokenizer _gpt2 = null!;
    private string _text = "";

    /// <summary>Size of the benchmark text in UTF-8 bytes.</summary>
    public int TextBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var vocab = Path.Combine(SharedAssets(), "tokenizers", "llamacpp-vocab");
        _spm = TokenizerLoader.Load(Path.Combine(vocab, "ggml-vocab-llama-spm.gguf"));
        _gpt2 = TokenizerLoader.Load(Path.Combine(vocab, "ggml-vocab-gpt-2.gguf"));
        _text = MixedText(2 * 1024 * 1024);
        TextBytes = Encoding.UTF8.GetByteCount(_text);
        Console.WriteLine($"// TokenizerBench text: {TextBytes} UTF-8 bytes ({_text.Length} chars)");
    }

    [Benchmark]
    public int SentencePieceLlama2() => _spm.Encode(_text).Length;

    [Benchmark]
    public int ByteLevelGpt2() => _gpt2.Encode(_text).Length;

    /// <summary>Deterministic mixed text of about <paramref name="bytes"/> UTF-8 bytes, in lines of a few words.</summary>
    public static string MixedText(int bytes)
    {
        string[] words =
        [
            "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Once", "upon", "a", "time", "don't", "we'll",
            "café", "naïve", "résumé", "東京", "工作", "нещо", "🦙", "✅", "2024", "3.14159", "x += 1;", "foo(bar)",
            "{\"key\": [1, 2]}", "#include <stdio.h>", "return 0;", "...", "!!", "\t", "    ",
        ];
        var rng = new Random(1234);
        var sb = new StringBuilder(bytes + 64);
        while (sb.Length < bytes / 1.1)
        {
            var n = rng.Next(5, 16);
            for (var i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(' ');
                sb.Append(words[rng.Next(words.Length)]);
            }
            sb.Append(rng.Next(5) == 0 ? "\n\n" : ". ");
        }
        return sb.ToString();
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
