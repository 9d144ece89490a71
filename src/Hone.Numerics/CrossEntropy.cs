using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>Log-softmax and cross-entropy over one vocabulary row of logits; backward beside them.</summary>
public static class CrossEntropy
{
    private const int Chunk = 512;

    /// <summary>log Σ exp(logits), computed stably. Shape: logits [vocab], vocab ≥ 1.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfZero(logits.Length, nameof(logits));
        float max = TensorPrimitives.Max(logits);
        Span<float> t = stackalloc float[Chunk];
        double sum = 0;
        for (int i = 0; i < logits.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, logits.Length - i);
            Span<float> tt = t[..len];
            TensorPrimitives.Subtract(logits.Slice(i, len), max, tt);
            TensorPrimitives.Exp(tt, tt);
            sum += TensorPrimitives.Sum(tt);
        }

        return max + (float)Math.Log(sum);
    }

    /// <summary>logProbs = logits − logsumexp(logits). Shapes: logits, logProbs [vocab] (may alias).</summary>
    public static void LogSoftmax(ReadOnlySpan<float> logits, Span<float> logProbs)
    {
        float lse = LogSumExp(logits);
        TensorPrimitives.Subtract(logits, lse, logProbs);
    }

    /// <summary>Naive twin of <see cref="LogSoftmax"/>.</summary>
    public static void LogSoftmaxNaive(ReadOnlySpan<float> logits, Span<float> logProbs)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }

        float sum = 0;
        foreach (float v in logits)
        {
            sum += MathF.Exp(v - max);
        }

        float lse = max + MathF.Log(sum);
        for (int i = 0; i < logits.Length; i++)
        {
            logProbs[i] = logits[i] - lse;
        }
    }

    /// <summary>−log softmax(logits)[target]. Shape: logits [vocab]; 0 ≤ target &lt; vocab.</summary>
    public static float Loss(ReadOnlySpan<float> logits, int target)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, logits.Length);
        return LogSumExp(logits) - logits[target];
    }

    /// <summary>dLogits = dLoss·(softmax(logits) − onehot(target)). Shapes: logits, dLogits [vocab] (may alias).</summary>
    public static void Backward(ReadOnlySpan<float> logits, int target, float dLoss, Span<float> dLogits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, logits.Length);
        float lse = LogSumExp(logits);
        TensorPrimitives.Subtract(logits, lse, dLogits);
        TensorPrimitives.Exp(dLogits, dLogits);
        dLogits[target] -= 1f;
        TensorPrimitives.Multiply(dLogits, dLoss, dLogits);
    }
}
