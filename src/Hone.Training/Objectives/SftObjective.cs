using Hone.Models.Train;

namespace Hone.Training.Objectives;

/// <summary>Loss and token accuracy of one SFT (micro-)batch.</summary>
/// <param name="Loss">This batch's share of the step loss: −Σ log p(target) / <paramref name="Normalizer"/>.</param>
/// <param name="NllSum">−Σ log p(target) over the trained positions of this batch.</param>
/// <param name="Tokens">Trained positions in this batch.</param>
/// <param name="Correct">Trained positions whose argmax equals the target.</param>
/// <param name="Normalizer">The token count the loss was divided by (the whole step's trained tokens).</param>
public readonly record struct SftLoss(double Loss, double NllSum, int Tokens, int Correct, int Normalizer);

/// <summary>
/// Supervised fine-tuning: the mean negative log-likelihood over trained tokens. With N trained tokens in the
/// optimiser step, L = −(1/N) Σ log p(target_t), so dL/d log p(target_t) = −1/N on trained positions and 0 elsewhere.
/// </summary>
public static class SftObjective
{
    /// <summary>
    /// Computes the loss and writes the per-position coefficients dL/d log p(target).
    /// </summary>
    /// <param name="targetLogProbs">Per position, log p(target) from the forward pass [positions].</param>
    /// <param name="targets">Per position, the target id or <see cref="TokenBatch.IgnoreTarget"/> [positions].</param>
    /// <param name="argmaxCorrect">Per position, whether the argmax equals the target [positions].</param>
    /// <param name="coefficients">Output: dL/d log p(target) [positions].</param>
    /// <param name="normalizer">Trained tokens of the whole optimiser step (gradient accumulation divides every
    /// micro-batch by the step's count); 0 means this batch's own count.</param>
    public static SftLoss Compute(ReadOnlySpan<float> targetLogProbs, ReadOnlySpan<int> targets, ReadOnlySpan<bool> argmaxCorrect,
        Span<float> coefficients, int normalizer = 0)
    {
        int n = targetLogProbs.Length;
        if (targets.Length != n || argmaxCorrect.Length != n || coefficients.Length != n)
            throw new ArgumentException($"SFT objective: spans differ in length (log-probs {n}, targets {targets.Length}, correct {argmaxCorrect.Length}, coefficients {coefficients.Length}).");
        ArgumentOutOfRangeException.ThrowIfNegative(normalizer);
        int tokens = CountTrained(targets);
        int norm = normalizer == 0 ? tokens : normalizer;
        double nll = 0;
        int correct = 0;
        float coef = norm == 0 ? 0f : (float)(-1.0 / norm);
        for (int t = 0; t < n; t++)
        {
            if (targets[t] == TokenBatch.IgnoreTarget)
            {
                coefficients[t] = 0f;
                continue;
            }
            nll -= targetLogProbs[t];
            if (argmaxCorrect[t]) correct++;
            coefficients[t] = coef;
        }
        return new SftLoss(norm == 0 ? 0 : nll / norm, nll, tokens, correct, norm);
    }

    /// <summary>Number of positions whose target is not <see cref="TokenBatch.IgnoreTarget"/>.</summary>
    public static int CountTrained(ReadOnlySpan<int> targets)
    {
        int c = 0;
        foreach (var t in targets) if (t != TokenBatch.IgnoreTarget) c++;
        return c;
    }
}
