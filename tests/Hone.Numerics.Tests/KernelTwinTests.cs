namespace Hone.Numerics.Tests;

/// <summary>Each fast kernel held to its naive twin on seeded random data, odd sizes included.</summary>
public class KernelTwinTests
{
    public static TheoryData<int, int> RowsDims => new() { { 1, 1 }, { 1, 7 }, { 3, 17 }, { 2, 64 }, { 5, 131 }, { 1, 1000 } };

    public static TheoryData<int> Lengths => new() { 1, 5, 16, 31, 257, 1031 };

    [Theory]
    [MemberData(nameof(RowsDims))]
    public void RmsNorm_matches_twin(int rows, int dim)
    {
        var rng = new Random(rows * 31 + dim);
        float[] x = Rand.Floats(rng, rows * dim, 3f), w = Rand.Floats(rng, dim);
        float[] expected = new float[x.Length], y = new float[x.Length];
        RmsNorm.ForwardNaive(x, w, expected, rows, dim, 1e-5f);
        RmsNorm.Forward(x, w, y, rows, dim, 1e-5f);
        Rand.Close(expected, y, 1e-5, 1e-6);
        RmsNorm.Forward(x, w, x, rows, dim, 1e-5f); // in place
        Rand.Close(expected, x, 1e-5, 1e-6);
    }

    [Theory]
    [MemberData(nameof(RowsDims))]
    public void LayerNorm_matches_twin(int rows, int dim)
    {
        var rng = new Random(rows * 37 + dim);
        float[] x = Rand.Floats(rng, rows * dim, 3f), w = Rand.Floats(rng, dim), b = Rand.Floats(rng, dim);
        float[] expected = new float[x.Length], y = new float[x.Length];
        LayerNorm.ForwardNaive(x, w, b, expected, rows, dim, 1e-5f);
        LayerNorm.Forward(x, w, b, y, rows, dim, 1e-5f);
        Rand.Close(expected, y, 1e-4, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Activations_match_twins(int n)
    {
        var rng = new Random(n);
        float[] x = Rand.Floats(rng, n, 6f), up = Rand.Floats(rng, n, 2f);
        float[] expected = new float[n], y = new float[n];
        Activations.SiluNaive(x, expected);
        Activations.Silu(x, y);
        Rand.Close(expected, y, 1e-5, 1e-6, "silu");
        Activations.GeluNaive(x, expected);
        Activations.Gelu(x, y);
        Rand.Close(expected, y, 1e-5, 1e-6, "gelu");
        Activations.SwiGluNaive(x, up, expected);
        Activations.SwiGlu(x, up, y);
        Rand.Close(expected, y, 1e-5, 1e-6, "swiglu");
        float[] dy = Rand.Floats(rng, n, 1f), eg = new float[n], eu = new float[n], dg = new float[n], du = new float[n];
        Activations.SwiGluBackwardNaive(x, up, dy, eg, eu);
        Activations.SwiGluBackward(x, up, dy, dg, du);
        Rand.Close(eg, dg, 1e-5, 1e-6, "swiglu dgate");
        Rand.Close(eu, du, 1e-5, 1e-6, "swiglu dup");
        float[] copy = (float[])x.Clone();
        Activations.Gelu(copy, copy); // in place
        Activations.GeluNaive(x, expected);
        Rand.Close(expected, copy, 1e-5, 1e-6, "gelu in place");
    }

    [Fact]
    public void SwiGlu_split_across_workers_gives_the_same_bits_in_place_too()
    {
        const int n = (5 << 14) + 37; // several parts and an uneven tail
        var rng = new Random(5);
        float[] gate = Rand.Floats(rng, n, 6f), up = Rand.Floats(rng, n, 2f), one = new float[n], expected = new float[n];
        Activations.SwiGluNaive(gate, up, expected);
        Activations.SwiGlu(gate, up, one);
        using var pool = new WorkerPool(3);
        float[] inPlace = (float[])gate.Clone();
        Activations.SwiGlu(inPlace, up, inPlace, pool);
        Assert.Equal(one, inPlace);
        Rand.Close(expected, inPlace, 1e-5, 1e-6, "swiglu on 3 workers");
    }

    [Fact]
    public void Gelu_matches_known_values()
    {
        // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) evaluated independently in double.
        float[] x = [-3f, -1f, 0f, 0.5f, 2f];
        float[] y = new float[5];
        Activations.Gelu(x, y);
        Rand.Close([-0.0036373920817729943f, -0.15880800939172324f, 0f, 0.34571400982514394f, 1.9545976940871754f], y, 1e-5, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Softmax_matches_twin_and_survives_large_logits(int n)
    {
        var rng = new Random(n + 5);
        float[] x = Rand.Floats(rng, n, 50f);
        x[0] = 1000f; // exp would overflow without the max subtraction
        float[] expected = (float[])x.Clone();
        Softmax.InPlaceNaive(expected);
        Softmax.InPlace(x);
        Rand.Close(expected, x, 1e-5, 1e-7);
        Assert.Equal(1.0, x.Sum(v => (double)v), 4);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LogSoftmax_and_loss_match_twin(int n)
    {
        var rng = new Random(n + 9);
        float[] logits = Rand.Floats(rng, n, 20f);
        float[] expected = new float[n], y = new float[n];
        CrossEntropy.LogSoftmaxNaive(logits, expected);
        CrossEntropy.LogSoftmax(logits, y);
        Rand.Close(expected, y, 1e-5, 1e-4);
        int target = n / 2;
        Assert.Equal(-expected[target], CrossEntropy.Loss(logits, target), 3);
    }

    [Theory]
    [InlineData(4, 1, 8)]
    [InlineData(6, 7, 16)]
    [InlineData(2, 3, 30)]
    public void Rope_matches_twins(int tokens, int start, int headDim)
    {
        const int heads = 3;
        var rng = new Random(tokens * 100 + headDim);
        float[] invFreq = new float[headDim / 2];
        Rope.InverseFrequencies(invFreq, headDim, 10000);
        int positions = start + tokens;
        float[] cos = new float[positions * headDim / 2], sin = new float[cos.Length];
        Rope.Tables(invFreq, cos, sin, positions);
        float[] x = Rand.Floats(rng, tokens * heads * headDim);

        float[] expected = (float[])x.Clone(), y = (float[])x.Clone();
        Rope.ApplyInterleavedNaive(invFreq, expected, tokens, heads, headDim, start);
        Rope.ApplyInterleaved(cos, sin, y, tokens, heads, headDim, start);
        Rand.Close(expected, y, 1e-5, 1e-6, "interleaved");

        expected = (float[])x.Clone();
        y = (float[])x.Clone();
        Rope.ApplyHalfNaive(invFreq, expected, tokens, heads, headDim, start);
        Rope.ApplyHalf(cos, sin, y, tokens, heads, headDim, start);
        Rand.Close(expected, y, 1e-5, 1e-6, "half");
    }

    [Fact]
    public void Rope_at_position_zero_is_identity_and_preserves_norms()
    {
        float[] invFreq = new float[4];
        Rope.InverseFrequencies(invFreq, 8, 10000);
        float[] cos = new float[8], sin = new float[8];
        Rope.Tables(invFreq, cos, sin, 2);
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        float[] y = (float[])x.Clone();
        Rope.ApplyHalf(cos, sin, y, 1, 1, 8, 0);
        Assert.Equal(x, y);
        Rope.ApplyInterleaved(cos, sin, y, 1, 1, 8, 1);
        Assert.Equal(x.Sum(v => v * v), y.Sum(v => v * v), 3);
        Assert.NotEqual(x, y);
    }

    [Fact]
    public void Llama3_scaling_follows_the_reference_rule()
    {
        // Llama 3.1: factor 8, low 1, high 4, original 8192; head_dim 128, θ 500000.
        float[] f = new float[64];
        Rope.InverseFrequencies(f, 128, 500000);
        float[] scaled = (float[])f.Clone();
        Rope.ScaleLlama3(scaled, 8, 1, 4, 8192);
        for (int i = 0; i < 64; i++)
        {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen < 8192 / 4.0)
            {
                Assert.Equal(f[i], scaled[i]); // high frequencies untouched
            }
            else if (wavelen > 8192)
            {
                Assert.Equal(f[i] / 8, scaled[i], 6); // low frequencies divided by the factor
            }
            else
            {
                Assert.InRange(scaled[i], f[i] / 8 * 0.999, f[i] * 1.001); // interpolated in between
            }
        }

        Assert.Equal(f[0], scaled[0]);
        Assert.Equal(f[63] / 8, scaled[63], 6);
    }

    [Theory]
    [InlineData(1, 0, 4, 4, 8)]   // first decode step
    [InlineData(1, 9, 4, 2, 8)]   // decode with a cache, GQA
    [InlineData(5, 0, 6, 3, 16)]  // prompt block, GQA
    [InlineData(3, 4, 4, 1, 12)]  // block after a cached prefix, MQA
    [InlineData(2, 5, 4, 4, 88)]  // head size 88 = 512-bit pairs (64) + a single 512-bit step (16) + a scalar tail (8)
    [InlineData(16, 0, 2, 2, 8)]  // the blocked path from its smallest block: partial micro-tiles and key panels
    [InlineData(70, 0, 4, 2, 64)] // blocked, GQA, a second key panel
    [InlineData(29, 100, 6, 3, 16)] // blocked after a cached prefix of 100 positions
    [InlineData(33, 40, 2, 1, 88)] // blocked, MQA, head size 88: a full and a partial value panel
    [InlineData(24, 3, 2, 2, 128)] // blocked, head size 128: two value panels
    public void Attention_matches_twin(int tokens, int start, int heads, int kvHeads, int headDim)
    {
        var rng = new Random(tokens * 7 + start);
        int kvLen = start + tokens;
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, (kvLen + 2) * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float scale = 1f / MathF.Sqrt(headDim);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length];
        Attention.ForwardNaive(q, k, v, default, ep, eo, tokens, start, heads, kvHeads, headDim, scale);
        float[]? single = null;
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            float[] p = new float[ep.Length], o = new float[eo.Length];
            p.AsSpan().Fill(float.NaN);
            Attention.Forward(q, k, v, p, o, tokens, start, heads, kvHeads, headDim, scale, pool);
            Rand.Close(ep, p, 1e-5, 1e-6, "probs");
            Rand.Close(eo, o, 1e-5, 1e-5, "output");
            single ??= o;
            Assert.Equal(single, o); // bit-identical whatever the thread count
        }

        // Causality: the last token of a block sees everything, the first sees only up to its position.
        for (int j = start + 1; j < kvLen; j++)
        {
            Assert.Equal(0f, ep[j]);
        }
    }

    [Fact]
    public void Attention_with_packed_documents_sees_only_its_own_document()
    {
        // Two examples packed in one block of 6 tokens: positions 0..2 and 3..5.
        const int tokens = 6, heads = 2, kvHeads = 1, headDim = 8;
        int[] first = [0, 0, 0, 3, 3, 3];
        var rng = new Random(77);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, tokens * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] ep = new float[tokens * heads * tokens], eo = new float[q.Length], p = new float[ep.Length], o = new float[q.Length];
        Attention.ForwardNaive(q, k, v, first, ep, eo, tokens, 0, heads, kvHeads, headDim, 0.5f);
        using var pool = new WorkerPool(2);
        Attention.Forward(q, k, v, first, p, o, tokens, 0, heads, kvHeads, headDim, 0.5f, pool);
        Rand.Close(ep, p, 1e-5, 1e-6, "probs");
        Rand.Close(eo, o, 1e-5, 1e-5, "output");
        for (int t = 0; t < tokens; t++)
        {
            for (int j = 0; j < tokens; j++)
            {
                bool visible = j >= first[t] && j <= t;
                Assert.Equal(visible, p[(t * heads * tokens) + j] != 0f);
            }
        }

        // The second document's outputs equal those of running it alone.
        float[] p2 = new float[3 * heads * 3], o2 = new float[3 * heads * headDim];
        Attention.Forward(q.AsSpan(3 * heads * headDim), k.AsSpan(3 * headDim), v.AsSpan(3 * headDim), p2, o2, 3, 0, heads, kvHeads, headDim, 0.5f);
        Rand.Close(o2, o.AsSpan(3 * heads * headDim), 1e-6, 1e-6, "alone");
        Assert.Throws<ArgumentException>(() => Attention.Forward(q, k, v, [0, 2, 0, 0, 0, 0], p, o, tokens, 0, heads, kvHeads, headDim, 0.5f));
    }

    [Fact]
    public void Blocked_attention_with_packed_documents_matches_twin()
    {
        // Three documents packed in a block of 40 tokens (blocked path), after 5 cached positions of the first.
        const int tokens = 40, start = 5, heads = 4, kvHeads = 2, headDim = 16;
        int[] first = new int[tokens];
        for (int t = 0; t < tokens; t++)
        {
            first[t] = t < 12 ? 0 : t < 30 ? start + 12 : start + 30;
        }

        var rng = new Random(78);
        int kvLen = start + tokens;
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length], p = new float[ep.Length], o = new float[q.Length];
        Attention.ForwardNaive(q, k, v, first, ep, eo, tokens, start, heads, kvHeads, headDim, 0.3f);
        using var pool = new WorkerPool(2);
        p.AsSpan().Fill(float.NaN);
        Attention.Forward(q, k, v, first, p, o, tokens, start, heads, kvHeads, headDim, 0.3f, pool);
        Rand.Close(ep, p, 1e-5, 1e-6, "probs");
        Rand.Close(eo, o, 1e-5, 1e-5, "output");
        AssertOnlyVisibleKeysWeighted(p, first, tokens, start, heads, kvLen);
    }

    /// <summary>Head 0's probabilities are nonzero exactly on the keys token t sees: from first[t] to its own position.</summary>
    internal static void AssertOnlyVisibleKeysWeighted(float[] p, int[] first, int tokens, int start, int heads, int kvLen)
    {
        for (int t = 0; t < tokens; t++)
        {
            for (int j = 0; j < kvLen; j++)
            {
                bool visible = j >= first[t] && j <= start + t;
                Assert.Equal(visible, p[(t * heads * kvLen) + j] != 0f);
            }
        }
    }

    [Fact]
    public void Attention_rejects_kv_heads_that_do_not_divide_heads()
    {
        float[] a = new float[64];
        Assert.Throws<ArgumentException>(() => Attention.Forward(a, a, a, new float[64], new float[64], 1, 0, 3, 2, 4, 1f));
    }
}
