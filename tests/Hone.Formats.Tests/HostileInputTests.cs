using System.Buffers.Binary;
using Hone.Formats.Gguf;
using Hone.Formats.Inspection;
using Hone.Formats.Llama2c;
using Hone.Formats.Safetensors;
using Hone.Testing;

namespace Hone.Formats.Tests;

/// <summary>
/// Seeded corruption of real files: every outcome must be success or a <see cref="HoneFormatException"/>,
/// with bounded allocation (declared counts and sizes are capped against the file length before allocating).
/// </summary>
public class HostileInputTests
{
    private const int Mutations = 300;
    private const long MaxAllocatedBytes = 96L << 20;

    private static readonly ulong[] HugeValues =
        [ulong.MaxValue, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 1UL << 40, 100_000_001, 0];

    /// <summary>Applies one random mutation; most land in the first <paramref name="hotBytes"/> where the structure is.</summary>
    private static (byte[] Bytes, string What) Mutate(byte[] original, Random r, int hotBytes)
    {
        var b = (byte[])original.Clone();
        int Offset() => r.NextDouble() < 0.8 ? r.Next(Math.Min(hotBytes, b.Length)) : r.Next(b.Length);
        switch (r.Next(5))
        {
            case 0:
            {
                var n = 1 + r.Next(4);
                var at = new List<int>();
                for (var i = 0; i < n; i++) { var o = Offset(); at.Add(o); b[o] ^= (byte)(1 << r.Next(8)); }
                return (b, $"bit flips at {string.Join(",", at)}");
            }
            case 1:
            {
                var len = r.NextDouble() < 0.5 ? Offset() : r.Next(b.Length);
                return (b[..len], $"truncated to {len}");
            }
            case 2:
            {
                var o = Math.Min(Offset() & ~3, b.Length - 8);
                var v = HugeValues[r.Next(HugeValues.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(o), v);
                return (b, $"u64 {v} at {o}");
            }
            case 3:
            {
                var o = Math.Min(Offset() & ~3, b.Length - 4);
                var v = (uint)HugeValues[r.Next(HugeValues.Length)];
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(o), v);
                return (b, $"u32 {v} at {o}");
            }
            default:
            {
                var o = Offset();
                var n = Math.Min(1 + r.Next(16), b.Length - o);
                r.NextBytes(b.AsSpan(o, n));
                return (b, $"{n} random bytes at {o}");
            }
        }
    }

    private static void Fuzz(byte[] original, string fileName, int seed, int hotBytes, Action<string> open)
    {
        var r = new Random(seed);
        var path = Path.Combine(TestAssets.NewTempDir("fuzz"), fileName);
        var successes = 0;
        var failures = 0;
        for (var i = 0; i < Mutations; i++)
        {
            var (bytes, what) = Mutate(original, r, hotBytes);
            File.WriteAllBytes(path, bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                open(path);
                successes++;
            }
            catch (HoneFormatException e)
            {
                failures++;
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                Assert.Contains(fileName, e.Message, StringComparison.Ordinal);
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation #{i} ({what}) of {fileName}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < MaxAllocatedBytes, $"mutation #{i} ({what}) allocated {allocated} bytes");
        }
        // The corpus must exercise both outcomes, or the test is not testing anything.
        Assert.True(failures > Mutations / 4, $"only {failures} of {Mutations} mutations were rejected");
        Assert.True(successes > 0 || failures == Mutations);
    }

    [Fact]
    public void Corrupted_safetensors_fail_only_with_typed_errors()
    {
        var original = File.ReadAllBytes(TestAssets.Path("models", "stories260K-hf", "model.safetensors"));
        Fuzz(original, "model.safetensors", seed: 1001, hotBytes: 8 + 4912, path =>
        {
            using var c = SafetensorsCheckpoint.Open(path);
            var sum = 0f;
            foreach (var t in c.Tensors) sum += c.GetF32Span(t.Name)[^1];
            _ = c.ReadF32(c.Names.First()).Length;
        });
    }

    [Fact]
    public void Corrupted_gguf_vocab_fails_only_with_typed_errors()
    {
        var original = File.ReadAllBytes(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-llama-spm.gguf"));
        Fuzz(original, "vocab.gguf", seed: 2002, hotBytes: 4096, path =>
        {
            using var g = GgufFile.Open(path);
            _ = g.Metadata.Count;
        });
    }

    [Fact]
    public void Corrupted_gguf_with_tensors_fails_only_with_typed_errors()
    {
        var r = new Random(5);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();
        var src = Path.Combine(TestAssets.NewTempDir(), "t.gguf");
        new GgufWriter().Add("general.architecture", "llama").Add("llama.block_count", 1u).Add("a", new[] { "x", "yz" })
            .Add("n", new object[] { new[] { 1, 2 } }).Add("general.alignment", 32u)
            .AddTensor("token_embd.weight", [32, 4], Values(128), GgmlType.Q8_0).AddTensor("blk.0.attn_q.weight", [8, 8], Values(64), GgmlType.F16)
            .AddTensor("output_norm.weight", [8], Values(8)).AddTensor("b", [4], Values(4), GgmlType.BF16)
            .AddTensor("blk.0.ffn_up.weight", [256, 2], Values(512), GgmlType.Q4_K).Write(src);
        var original = File.ReadAllBytes(src);
        Fuzz(original, "tensors.gguf", seed: 3003, hotBytes: original.Length, path =>
        {
            using var g = GgufFile.Open(path);
            foreach (var t in g.Tensors)
                if (GgufDequantize.IsSupported(t.Type)) _ = g.ReadTensorF32(t.Name).Length;
                else Assert.Throws<GgufUnsupportedTypeException>(() => g.ReadTensorF32(t.Name));
        });
    }

    [Theory]
    [InlineData("stories260K.bin", 4004)]
    [InlineData("stories260K_v1.bin", 5005)]
    public void Corrupted_llama2c_checkpoints_fail_only_with_typed_errors(string name, int seed)
    {
        var original = File.ReadAllBytes(TestAssets.Path("models", "stories260K", name));
        Fuzz(original, name, seed, hotBytes: 256, path =>
        {
            using var c = Llama2cCheckpoint.Open(path);
            foreach (var t in c.Tensors) _ = c.Get(t.Name).Length;
            _ = ModelInspector.Inspect(path).ParameterCount;
        });
    }
}
