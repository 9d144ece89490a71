namespace Hone.Numerics.Tests;

public class AttentionSequenceBackwardTests
{
    [Theory]
    [InlineData(5, 3, 6, 3, 16)]
    [InlineData(7, 0, 4, 2, 5)]
    [InlineData(33, 0, 2, 1, 64)]
    [InlineData(9, 2, 4, 4, 12)]
    [InlineData(1, 4, 3, 1, 32)]
    public void BackwardSequence_matches_its_twin_Backward(int tokens, int start, int heads, int kvHeads, int headDim)
    {
        int kvLen = start + tokens;
        var rng = new Random((tokens * 31) + (start * 7) + headDim);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] dOut = Rand.Floats(rng, q.Length), probs = new float[tokens * heads * kvLen], output = new float[q.Length];
        float scale = 1f / MathF.Sqrt(headDim);
        Attention.Forward(q, k, v, probs, output, tokens, start, heads, kvHeads, headDim, scale);

        // dk, dv are accumulated into: start both from the same non-zero values.
        float[] dkStart = Rand.Floats(rng, k.Length), dvStart = Rand.Floats(rng, v.Length);
        float[] eq = new float[q.Length], ek = (float[])dkStart.Clone(), ev = (float[])dvStart.Clone();
        Attention.Backward(q, k, v, probs, dOut, eq, ek, ev, new float[kvLen], tokens, start, heads, kvHeads, headDim, scale);
        float[] aq = Rand.Floats(rng, q.Length), ak = (float[])dkStart.Clone(), av = (float[])dvStart.Clone();
        var scratch = new float[AttentionSequence.BackwardSequenceScratchFloats(tokens, start, headDim)];
        AttentionSequence.BackwardSequence(q, k, v, probs, dOut, aq, ak, av, scratch, tokens, start, heads, kvHeads, headDim, scale);
        Rand.Close(eq, aq, 1e-4, 1e-5, "dq");
        Rand.Close(ek, ak, 1e-4, 1e-5, "dk");
        Rand.Close(ev, av, 1e-4, 1e-5, "dv");
    }

    [Theory]
    [InlineData(5, 3, 6, 3, 16, false)]
    [InlineData(7, 0, 4, 2, 5, true)]
    [InlineData(33, 0, 2, 1, 64, true)]
    [InlineData(9, 2, 4, 4, 12, false)]
    [InlineData(2, 0, 3, 1, 8, false)]
    public void ForwardSequence_matches_the_naive_twin(int tokens, int start, int heads, int kvHeads, int headDim, bool segments)
    {
        int kvLen = start + tokens;
        var rng = new Random((tokens * 13) + headDim);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        int[] first = segments ? Enumerable.Range(0, tokens).Select(t => t < tokens / 2 ? 0 : start + (tokens / 2)).ToArray() : [];
        float scale = 1f / MathF.Sqrt(headDim);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length];
        Attention.ForwardNaive(q, k, v, first, ep, eo, tokens, start, heads, kvHeads, headDim, scale);
        using var pool = new WorkerPool(2);
        float[] ap = Rand.Floats(rng, ep.Length), ao = Rand.Floats(rng, eo.Length);
        var scratch = new float[2 * AttentionSequence.BackwardSequenceScratchFloats(tokens, start, headDim)];
        AttentionSequence.ForwardSequence(q, k, v, first, ap, ao, scratch, tokens, start, heads, kvHeads, headDim, scale, pool);
        Rand.Close(ep, ap, 1e-5, 1e-6, "probs");
        Rand.Close(eo, ao, 1e-4, 1e-5, "output");
    }

    [Fact]
    public void BackwardSequence_is_bit_identical_whatever_the_thread_count()
    {
        const int tokens = 21, start = 3, heads = 6, kvHeads = 3, headDim = 16, kvLen = start + tokens;
        var rng = new Random(5);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] dOut = Rand.Floats(rng, q.Length), probs = new float[tokens * heads * kvLen], output = new float[q.Length];
        Attention.Forward(q, k, v, probs, output, tokens, start, heads, kvHeads, headDim, 0.25f);
        (float[] Dq, float[] Dk, float[] Dv) Run(WorkerPool? pool)
        {
            float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
            var scratch = new float[(pool?.ThreadCount ?? 1) * AttentionSequence.BackwardSequenceScratchFloats(tokens, start, headDim)];
            AttentionSequence.BackwardSequence(q, k, v, probs, dOut, dq, dk, dv, scratch, tokens, start, heads, kvHeads, headDim, 0.25f, pool);
            return (dq, dk, dv);
        }

        var one = Run(null);
        using var pool = new WorkerPool(3);
        var three = Run(pool);
        Assert.Equal(one.Dq, three.Dq);
        Assert.Equal(one.Dk, three.Dk);
        Assert.Equal(one.Dv, three.Dv);
        Assert.Contains(one.Dv, g => g != 0f);
    }
}
