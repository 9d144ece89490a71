using System.Buffers.Binary;
using Hone.Formats.Gguf;

namespace Hone.Formats.Tests;

/// <summary>
/// The quantisers' block layout and rounding, worked by hand from ggml's reference functions
/// (quantize_row_q8_0_ref, quantize_row_q4_0_ref), and the value checks the loader applies.
/// </summary>
public class GgufQuantizeTests
{
    [Fact]
    public void Q4_0_uses_the_signed_extreme_and_truncates_after_adding_8_5()
    {
        // Largest magnitude is -4 (negative): d = -4 / -8 = 0.5, id = 2. x·id + 8.5 truncated, capped at 15.
        var x = new float[32];
        x[0] = -4f;      // -8 + 8.5 = 0.5 -> 0
        x[1] = 3.9f;     // 7.8 + 8.5 = 16.3 -> 16 -> capped 15
        x[2] = 0.25f;    // 0.5 + 8.5 = 9 -> 9
        x[3] = -0.26f;   // -0.52 + 8.5 = 7.98 -> 7
        x[16] = 1f;      // 2 + 8.5 = 10.5 -> 10 (the high nibble of byte 0)
        x[17] = -1.75f;  // -3.5 + 8.5 = 5 -> 5
        var b = GgufQuantize.FromF32(GgmlType.Q4_0, x);
        Assert.Equal(18, b.Length);
        Assert.Equal((Half)0.5f, BinaryPrimitives.ReadHalfLittleEndian(b));
        Assert.Equal(0 | (10 << 4), b[2]);
        Assert.Equal(15 | (5 << 4), b[3]);
        Assert.Equal(9 | (8 << 4), b[4]);   // x[18] = 0 -> 8
        Assert.Equal(7 | (8 << 4), b[5]);
        var back = new float[32];
        GgufDequantize.ToF32(GgmlType.Q4_0, b, back);
        Assert.Equal([-4f, 3.5f, 0.5f, -0.5f], back[..4]);
        Assert.Equal(1f, back[16]);

        // A positive extreme gives a negative scale: the extreme itself maps to nibble 0.
        x = new float[32];
        x[5] = 8f;
        b = GgufQuantize.FromF32(GgmlType.Q4_0, x);
        Assert.Equal((Half)(-1f), BinaryPrimitives.ReadHalfLittleEndian(b));
        Assert.Equal(8 | (8 << 4), b[2]);
        Assert.Equal(0 | (8 << 4), b[2 + 5]);

        // All zeros: scale 0, every nibble 8.
        b = GgufQuantize.FromF32(GgmlType.Q4_0, new float[32]);
        Assert.All(b.Skip(2), v => Assert.Equal(0x88, v));
    }

    [Fact]
    public void Q8_0_rounds_half_away_from_zero()
    {
        var x = new float[32];
        x[0] = 127f;  // d = 1
        x[1] = 2.5f;  // roundf -> 3 (banker's rounding would give 2)
        x[2] = -2.5f; // -> -3
        x[3] = 0.49f; // -> 0
        var b = GgufQuantize.FromF32(GgmlType.Q8_0, x);
        Assert.Equal((Half)1f, BinaryPrimitives.ReadHalfLittleEndian(b));
        Assert.Equal([127, 3, unchecked((byte)-3), 0], b[2..6]);
    }

    [Fact]
    public void Quantised_values_stay_within_a_step()
    {
        var rng = new Random(5);
        var x = Enumerable.Range(0, 32 * 8).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        // Q8_0: half a step, plus the scale's rounding to half (2^-11 relative) times up to 127 steps.
        // Q4_0: one step (values beyond +7.5 steps on the side opposite the extreme are capped at nibble 15), plus 8 · 2^-11.
        foreach (var (type, bytes, levels, steps) in new[] { (GgmlType.Q8_0, 34, 127f, 0.5f + 127f / 2048), (GgmlType.Q4_0, 18, 8f, 1f + 8f / 2048) })
        {
            var q = GgufQuantize.FromF32(type, x);
            var back = new float[x.Length];
            GgufDequantize.ToF32(type, q, back);
            for (int blk = 0; blk < 8; blk++)
            {
                float d = MathF.Abs((float)BinaryPrimitives.ReadHalfLittleEndian(q.AsSpan(blk * bytes)));
                float amax = x.Skip(blk * 32).Take(32).Max(MathF.Abs);
                Assert.InRange(d, amax / levels * 0.999f, amax / levels * 1.001f);
                for (int j = 0; j < 32; j++)
                    Assert.True(MathF.Abs(back[blk * 32 + j] - x[blk * 32 + j]) <= d * steps, $"{type} block {blk} value {j}");
            }
        }
    }

    [Fact]
    public void Value_check_finds_the_first_non_finite_scale_or_value()
    {
        var q8 = GgufQuantize.FromF32(GgmlType.Q8_0, new float[96]);
        Assert.Equal(-1, GgufValueCheck.FirstNonFinite(GgmlType.Q8_0, q8));
        q8[34 * 2 + 1] = 0x7E; // NaN half in block 2's scale
        Assert.Equal(68, GgufValueCheck.FirstNonFinite(GgmlType.Q8_0, q8));
        var bf = GgufQuantize.FromF32(GgmlType.BF16, [1f, 2f, float.NegativeInfinity]);
        Assert.Equal(4, GgufValueCheck.FirstNonFinite(GgmlType.BF16, bf));
        Assert.Equal(-1, GgufValueCheck.FirstNonFinite(GgmlType.F32, BitConverter.GetBytes(float.NaN)));
    }
}
