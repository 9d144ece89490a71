namespace Hone.Numerics.Tests;

/// <summary>Seeded random data and tolerant comparisons for kernel tests.</summary>
internal static class Rand
{
    public static float[] Floats(Random rng, int count, float scale = 1f)
    {
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }

    /// <summary>Asserts |actual - expected| ≤ abs + rel·|expected| elementwise, naming the first bad index.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            double a = actual[i];
            double tol = abs + (rel * Math.Abs(e));
            if (!(Math.Abs(a - e) <= tol))
            {
                Assert.Fail($"{what} index {i}: expected {e}, got {a} (tolerance {tol})");
            }
        }
    }
}
