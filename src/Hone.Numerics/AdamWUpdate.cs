using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The float constants of one AdamW step (Loshchilov and Hutter, with PyTorch's folding of both bias corrections):
/// the update is p ← p − <see cref="StepSize"/>·m / (√v / <see cref="Correction2Sqrt"/> + <see cref="Epsilon"/>).
/// </summary>
/// <param name="Beta1">β1, the first moment's decay.</param>
/// <param name="Beta2">β2, the second moment's decay.</param>
/// <param name="OneMinusBeta1">1 − β1 (rounded once from double, as the update uses it).</param>
/// <param name="OneMinusBeta2">1 − β2.</param>
/// <param name="StepSize">lr / (1 − β1^t).</param>
/// <param name="Correction2Sqrt">√(1 − β2^t).</param>
/// <param name="Epsilon">Added to the corrected root of the second moment.</param>
public readonly record struct AdamWStep(float Beta1, float Beta2, float OneMinusBeta1, float OneMinusBeta2, float StepSize,
    float Correction2Sqrt, float Epsilon);

/// <summary>
/// The AdamW update of one tensor, in place, elementwise: with decoupled weight decay d (skipped when d = 0)
/// p ← p − d·p, then m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g·g, p ← p − s·m / (√v / c + ε). The fast kernel
/// (Vector512, else Vector256, else scalar) does exactly the scalar twin's operations in the same order, each a separate
/// IEEE float multiply, add, divide or square root (no fused multiply-add), so both give the same bits.
/// </summary>
public static class AdamWUpdate
{
    /// <summary>One AdamW step of a tensor. Shapes: parameters, gradients, firstMoment, secondMoment [n].</summary>
    /// <param name="parameters">The weights, updated in place.</param>
    /// <param name="gradients">Their accumulated gradients.</param>
    /// <param name="firstMoment">m, updated in place.</param>
    /// <param name="secondMoment">v, updated in place.</param>
    /// <param name="step">The step's constants.</param>
    /// <param name="decay">lr·λ for a tensor that takes weight decay, else 0.</param>
    public static void Apply(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment,
        in AdamWStep step, float decay) =>
        Apply(parameters, gradients, firstMoment, secondMoment, step, decay, Simd.Best);

    /// <summary>As <see cref="Apply(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, in AdamWStep, float)"/> at <paramref name="level"/> (lowered to what the hardware has).</summary>
    internal static void Apply(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment,
        in AdamWStep step, float decay, SimdLevel level)
    {
        int n = parameters.Length;
        Check(n, gradients.Length, firstMoment.Length, secondMoment.Length);
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetReference(firstMoment);
        ref float v = ref MemoryMarshal.GetReference(secondMoment);
        int i = 0;
        level = Simd.Clamp(level);
        if (level == SimdLevel.Vector512)
        {
            Vector512<float> b1 = Vector512.Create(step.Beta1), b2 = Vector512.Create(step.Beta2), o1 = Vector512.Create(step.OneMinusBeta1),
                o2 = Vector512.Create(step.OneMinusBeta2), s = Vector512.Create(step.StepSize), c = Vector512.Create(step.Correction2Sqrt),
                eps = Vector512.Create(step.Epsilon), d = Vector512.Create(decay);
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
            {
                var pi = Vector512.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector512.LoadUnsafe(ref g, (nuint)i);
                if (decay != 0) pi -= d * pi;
                var mi = (b1 * Vector512.LoadUnsafe(ref m, (nuint)i)) + (o1 * gi);
                var vi = (b2 * Vector512.LoadUnsafe(ref v, (nuint)i)) + (o2 * gi * gi);
                pi -= s * mi / ((Vector512.Sqrt(vi) / c) + eps);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
                pi.StoreUnsafe(ref p, (nuint)i);
            }
        }
        else if (level == SimdLevel.Vector256)
        {
            Vector256<float> b1 = Vector256.Create(step.Beta1), b2 = Vector256.Create(step.Beta2), o1 = Vector256.Create(step.OneMinusBeta1),
                o2 = Vector256.Create(step.OneMinusBeta2), s = Vector256.Create(step.StepSize), c = Vector256.Create(step.Correction2Sqrt),
                eps = Vector256.Create(step.Epsilon), d = Vector256.Create(decay);
            for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            {
                var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
                var gi = Vector256.LoadUnsafe(ref g, (nuint)i);
                if (decay != 0) pi -= d * pi;
                var mi = (b1 * Vector256.LoadUnsafe(ref m, (nuint)i)) + (o1 * gi);
                var vi = (b2 * Vector256.LoadUnsafe(ref v, (nuint)i)) + (o2 * gi * gi);
                pi -= s * mi / ((Vector256.Sqrt(vi) / c) + eps);
                mi.StoreUnsafe(ref m, (nuint)i);
                vi.StoreUnsafe(ref v, (nuint)i);
                pi.StoreUnsafe(ref p, (nuint)i);
            }
        }

        ApplyNaive(parameters[i..], gradients[i..], firstMoment[i..], secondMoment[i..], step, decay);
    }

    /// <summary>Naive twin of <see cref="Apply(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, in AdamWStep, float)"/>.</summary>
    public static void ApplyNaive(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment,
        in AdamWStep step, float decay)
    {
        Check(parameters.Length, gradients.Length, firstMoment.Length, secondMoment.Length);
        for (int j = 0; j < parameters.Length; j++)
        {
            if (decay != 0) parameters[j] -= decay * parameters[j];
            float gj = gradients[j];
            firstMoment[j] = (step.Beta1 * firstMoment[j]) + (step.OneMinusBeta1 * gj);
            secondMoment[j] = (step.Beta2 * secondMoment[j]) + (step.OneMinusBeta2 * gj * gj);
            parameters[j] -= step.StepSize * firstMoment[j] / ((MathF.Sqrt(secondMoment[j]) / step.Correction2Sqrt) + step.Epsilon);
        }
    }

    private static void Check(int n, int g, int m, int v)
    {
        if (g != n || m != n || v != n)
            throw new ArgumentException($"AdamW update: {n} parameters but {g} gradients, {m} first and {v} second moments.");
    }
}
