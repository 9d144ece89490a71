using System.Buffers.Binary;
using Hone.Formats.Gguf;

namespace Hone.Formats.Tests;

/// <summary>
/// Q4_K (<see cref="GgufQ4K"/>): the reference quantiser's edge cases and accuracy, the value check of both half
/// scales, and the strict geometry (rows of whole 256-value super-blocks). Byte-for-byte agreement with ggml's own
/// quantiser and decoder is held in Hone.Interop.Tests (GgmlQ4KTests).
/// </summary>
public class GgufQ4KTests
{
    [Fact]
    public void Zeros_and_constants_quantise_to_what_they_are()
    {
        var zeros = GgufQuantize.FromF32(GgmlType.Q4_K, new float[512]);
        Assert.Equal(288, zeros.Length);
        Assert.All(zeros, b => Assert.Equal(0, b));

        // A negative constant: every sub-block's min is the value, its scale 0 (levels stay 0).
        var back = new float[256];
        GgufDequantize.ToF32(GgmlType.Q4_K, GgufQuantize.FromF32(GgmlType.Q4_K, Enumerable.Repeat(-0.5f, 256).ToArray()), back);
        Assert.All(back, v => Assert.Equal(-0.5f, v, 1e-3f));
    }

    [Fact]
    public void Quantised_values_stay_within_two_steps_of_their_sub_block()
    {
        var rng = new Random(9);
        var x = Enumerable.Range(0, 256 * 4).Select(i => (float)((rng.NextDouble() * 2) - 1) * (1 + (i / 256))).ToArray();
        var q = GgufQuantize.FromF32(GgmlType.Q4_K, x);
        var back = new float[x.Length];
        GgufDequantize.ToF32(GgmlType.Q4_K, q, back);
        for (int s = 0; s < x.Length / 32; s++)
        {
            var sub = x.AsSpan(s * 32, 32).ToArray();
            float step = (sub.Max() - Math.Min(0, sub.Min())) / 15;
            for (int l = 0; l < 32; l++)
                Assert.True(MathF.Abs(back[(s * 32) + l] - sub[l]) <= 2 * step, $"sub-block {s} value {l}: {back[(s * 32) + l]} vs {sub[l]} (step {step})");
        }
    }

    [Fact]
    public void Value_check_finds_a_non_finite_d_or_dmin()
    {
        var q = GgufQuantize.FromF32(GgmlType.Q4_K, new float[768]);
        Assert.Equal(-1, GgufValueCheck.FirstNonFinite(GgmlType.Q4_K, q));
        BinaryPrimitives.WriteUInt16LittleEndian(q.AsSpan(144 * 2), 0x7C00); // +inf d in super-block 2
        Assert.Equal(288, GgufValueCheck.FirstNonFinite(GgmlType.Q4_K, q));
        BinaryPrimitives.WriteUInt16LittleEndian(q.AsSpan(144 + 2), 0x7E00); // NaN dmin in super-block 1
        Assert.Equal(146, GgufValueCheck.FirstNonFinite(GgmlType.Q4_K, q));
    }

    [Fact]
    public void Rows_must_be_whole_super_blocks()
    {
        Assert.Throws<ArgumentException>(() => GgufQuantize.FromF32(GgmlType.Q4_K, new float[32]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("w", [128, 2], new float[256], GgmlType.Q4_K));
        Assert.Throws<ArgumentException>(() => GgufDequantize.ToF32(GgmlType.Q4_K, new byte[143], new float[256]));
    }
}
