using System.Buffers.Binary;
using System.Text;
using Hone.Formats.Gguf;
using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>Malformed, truncated and randomly corrupted files end in a typed error, never a crash or a huge allocation.</summary>
public class HostileFileTests
{
    private static string Write(byte[] bytes, string name)
    {
        var path = Path.Combine(TestAssets.NewTempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Bin(params (float Score, byte[] Text, int? Len)[] tokens)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(16);
        foreach (var (score, text, len) in tokens)
        {
            w.Write(score);
            w.Write(len ?? text.Length);
            w.Write(text);
        }
        return ms.ToArray();
    }

    private static (float, byte[], int?) T(string s, int? len = null) => (0f, Encoding.UTF8.GetBytes(s), len);

    [Fact]
    public void Tokenizer_bin_errors_name_the_offset()
    {
        var negative = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write(Bin(T("<unk>"), T("<s>", -5)), "neg.bin")));
        Assert.Contains("byte offset", negative.Message);
        Assert.Contains("-5", negative.Message);
        Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write(Bin(T("<unk>"), T("<s>", int.MaxValue)), "huge.bin")));
        Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write(Bin(T("<unk>"), (0f, [0xC3, 0x28], null), T("x")), "utf8.bin")));
        Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write([1, 0], "short.bin")));
        var header = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, -1);
        Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write(header, "maxlen.bin")));
    }

    [Fact]
    public void Random_corruption_of_tokenizer_bin_and_model_is_typed()
    {
        var rng = new Random(42);
        foreach (var (src, name) in new[]
        {
            (TestAssets.Path("models", "stories260K", "tok512.bin"), "c.bin"),
            (TestAssets.Path("tokenizers", "llama2", "tokenizer.model"), "c.model"),
        })
        {
            var original = File.ReadAllBytes(src);
            for (var round = 0; round < 40; round++)
            {
                var bytes = (byte[])original.Clone();
                if (round % 4 == 0) bytes = bytes[..rng.Next(bytes.Length)];
                for (var k = rng.Next(1, 8); k > 0 && bytes.Length > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                var path = Write(bytes, name);
                try
                {
                    var tok = TokenizerLoader.Load(path);
                    _ = tok.Encode("Once upon a time 🦙");
                }
                catch (TokenizerFormatException) { }
            }
        }
    }

    [Fact]
    public void Random_corruption_of_a_gguf_vocabulary_is_typed()
    {
        var original = File.ReadAllBytes(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-llama-spm.gguf"));
        var rng = new Random(7);
        for (var round = 0; round < 25; round++)
        {
            var bytes = (byte[])original.Clone();
            // Corrupt the header/metadata region, where the vocabulary lives.
            for (var k = rng.Next(1, 6); k > 0; k--) bytes[rng.Next(Math.Min(bytes.Length, 600_000))] = (byte)rng.Next(256);
            var path = Write(bytes, "c.gguf");
            try
            {
                _ = TokenizerLoader.Load(path).Encode("Hello world");
            }
            catch (TokenizerFormatException) { }
            catch (GgufFormatException) { }
        }
    }

    [Fact]
    public void Tokenizer_json_errors_are_typed_and_located()
    {
        var bad = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write("{\n  \"model\": {\n    \"type\": \"BPE\",\n  oops\n}"u8.ToArray(), "tokenizer.json")));
        Assert.Contains("tokenizer.json:4:", bad.Message);
        var wordPiece = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write("""{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"""u8.ToArray(), "tokenizer.json")));
        Assert.Contains("WordPiece", wordPiece.Message);
        var hugeId = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write("""{"model": {"type": "BPE", "vocab": {"a": 2000000000}, "merges": []}}"""u8.ToArray(), "tokenizer.json")));
        Assert.Contains("2000000000", hugeId.Message);
        Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(Write("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [7]}}"""u8.ToArray(), "tokenizer.json")));
    }

    [Fact]
    public void Missing_paths_are_reported()
    {
        Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(Path.Combine(TestAssets.NewTempDir(), "nope.json")));
        Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(TestAssets.NewTempDir()));
    }
}
