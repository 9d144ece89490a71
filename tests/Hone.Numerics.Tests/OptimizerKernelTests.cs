namespace Hone.Numerics.Tests;

/// <summary>
/// The optimiser kernels held to their naive twins bit for bit (not within a tolerance: a training run's results depend
/// on every bit), at every vector width this machine has, odd lengths included.
/// </summary>
public class OptimizerKernelTests
{
    public static TheoryData<int, int> Cases
    {
        get
        {
            var data = new TheoryData<int, int>();
            foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
                foreach (var n in new[] { 1, 5, 16, 31, 257, 1031 }) data.Add((int)level, n);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AdamW_update_matches_its_twin_bit_for_bit_over_several_steps(int level, int n)
    {
        var rng = new Random(n + (97 * level));
        float[] p = Rand.Floats(rng, n, 2f), m = new float[n], v = new float[n];
        float[] pTwin = (float[])p.Clone(), mTwin = new float[n], vTwin = new float[n];
        for (int t = 1; t <= 4; t++)
        {
            float[] g = Rand.Floats(rng, n, t == 3 ? 1e-3f : 0.5f);
            if (n > 3) g[3] = 0; // a zero gradient keeps v at 0 for a step: √0 / c + ε
            var step = new AdamWStep(0.9f, 0.999f, 0.1f, 0.001f, 0.01f / (float)(1 - Math.Pow(0.9, t)), (float)Math.Sqrt(1 - Math.Pow(0.999, t)), 1e-8f);
            float decay = t % 2 == 0 ? 0f : 1e-3f;
            AdamWUpdate.Apply(p, g, m, v, step, decay, (SimdLevel)level);
            AdamWUpdate.ApplyNaive(pTwin, g, mTwin, vTwin, step, decay);
            Assert.Equal(pTwin, p);
            Assert.Equal(mTwin, m);
            Assert.Equal(vTwin, v);
        }
    }

    [Fact]
    public void AdamW_update_is_the_textbook_step()
    {
        // One parameter, two steps, no decay: m and v with bias correction, computed in double.
        float[] p = [1f], m = [0f], v = [0f];
        double rp = 1, rm = 0, rv = 0;
        foreach (var (t, g) in new[] { (1, 0.5f), (2, -0.25f) })
        {
            AdamWUpdate.Apply(p, [g], m, v, new AdamWStep(0.9f, 0.999f, 0.1f, 0.001f, 0.1f / (float)(1 - Math.Pow(0.9, t)),
                (float)Math.Sqrt(1 - Math.Pow(0.999, t)), 1e-8f), 0f);
            rm = (0.9 * rm) + (0.1 * g);
            rv = (0.999 * rv) + (0.001 * g * g);
            rp -= 0.1 * (rm / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(rv / (1 - Math.Pow(0.999, t))) + 1e-8);
        }
        Assert.Equal(rp, p[0], 5);
        Assert.Throws<ArgumentException>(() => AdamWUpdate.Apply(p, new float[2], m, v, default, 0f));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sum_of_squares_and_scale_match_their_twins_bit_for_bit(int level, int n)
    {
        var rng = new Random((n * 7) + level);
        float[] x = Rand.Floats(rng, n, 3f);
        x[0] = 1e-30f; // tiny squares still count in double
        double start = 0.125;
        Assert.Equal(GradientNorm.SumOfSquaresNaive(x, start), GradientNorm.SumOfSquares(x, start, (SimdLevel)level));
        double exact = start;
        foreach (var f in x) exact += (double)f * f;
        Assert.Equal(exact, GradientNorm.SumOfSquares(x, start, (SimdLevel)level)); // index order, nothing reassociated

        float[] a = (float[])x.Clone(), b = (float[])x.Clone();
        GradientNorm.Scale(a, 0.37f);
        GradientNorm.ScaleNaive(b, 0.37f);
        Assert.Equal(b, a);
    }
}
