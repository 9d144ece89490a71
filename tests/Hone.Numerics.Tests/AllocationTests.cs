namespace Hone.Numerics.Tests;

/// <summary>House rule: no allocation inside kernels (after the one-time creation of workspaces and jobs).</summary>
public class AllocationTests
{
    [Fact]
    public void Warm_kernels_allocate_nothing()
    {
        const int m = 20, k = 70, n = 90, heads = 4, kvHeads = 2, headDim = 8, tokens = 3;
        var rng = new Random(5);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), b = Rand.Floats(rng, n), y = new float[m * n];
        float[] packed = new float[PackedMatMul.PackedLength(k, n)];
        PackedMatMul.PackWt(w, packed, k, n);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), kv = Rand.Floats(rng, tokens * kvHeads * headDim);
        float[] probs = new float[tokens * heads * tokens], o = new float[q.Length];
        float[] norm = new float[k], cos = new float[4 * headDim / 2], sin = new float[cos.Length];
        using var ws = new MatMulWorkspace(1);
        float[] am = new float[k], av = new float[k];
        var adam = new AdamWStep(0.9f, 0.999f, 0.1f, 0.001f, 0.01f, 0.5f, 1e-8f);

        void All()
        {
            MatMul.XWt(x, w, b, y, m, k, n, null, ws);
            MatMul.XW(x, w, b, y, m, k, n, null, ws);
            MatMul.XWt(x, w, b, y, 1, k, n, null, ws);
            MatMul.XW(x, w, b, y, 2, k, n, null, ws);
            PackedMatMul.Multiply(x, packed, b, y, m, k, n, null, ws);
            PackedMatMul.Multiply(x, packed, b, y, 1, k, n, null, ws);
            MatMulFused.XWt2(x, 1, k, w, b, y.AsSpan(0, n), n, w, default, y.AsSpan(n, n), n, null, ws);
            Attention.Forward(q, kv, kv, probs, o, tokens, 0, heads, kvHeads, headDim, 0.3f);
            RmsNorm.Forward(x.AsSpan(0, k), norm, y.AsSpan(0, k), 1, k, 1e-5f);
            Rope.ApplyHalf(cos, sin, q, tokens, heads, headDim, 0);
            Activations.Gelu(x, x);
            Softmax.InPlace(y.AsSpan(0, n));
            _ = CrossEntropy.Loss(y.AsSpan(0, n), 3);
            AdamWUpdate.Apply(norm, x.AsSpan(0, k), am, av, adam, 1e-4f);
            _ = GradientNorm.SumOfSquares(x, 0);
            GradientNorm.Scale(norm, 0.5f);
        }

        All();
        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
