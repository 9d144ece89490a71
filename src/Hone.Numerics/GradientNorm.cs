using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The pieces of clipping by global norm: the sum of squares of a tensor, continued from a running total, and the
/// scaling of a tensor. Each square of a float is exact in double, so only the order of the additions decides the bits:
/// both the fast kernel and its twin add the squares one by one in index order (a tree of partial sums would be faster
/// but would move the last bits of the norm, and through the clipping factor every later step of a run).
/// </summary>
public static class GradientNorm
{
    /// <summary><paramref name="sum"/> + Σ x[i]² in double, added in index order. Shape: x [n].</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x, double sum) => SumOfSquares(x, sum, Simd.Best);

    /// <summary>As <see cref="SumOfSquares(ReadOnlySpan{float}, double)"/> at <paramref name="level"/> (lowered to what the hardware has).</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> x, double sum, SimdLevel level)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        int i = 0, n = x.Length;
        level = Simd.Clamp(level);
        if (level == SimdLevel.Vector512)
        {
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)i));
                sum = AddInOrder(sum, lo * lo);
                sum = AddInOrder(sum, hi * hi);
            }
        }
        else if (level == SimdLevel.Vector256)
        {
            for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                sum = AddInOrder(sum, lo * lo);
                sum = AddInOrder(sum, hi * hi);
            }
        }

        return SumOfSquaresNaive(x[i..], sum);
    }

    /// <summary>Naive twin of <see cref="SumOfSquares(ReadOnlySpan{float}, double)"/>.</summary>
    public static double SumOfSquaresNaive(ReadOnlySpan<float> x, double sum)
    {
        foreach (var v in x) sum += (double)v * v;
        return sum;
    }

    /// <summary>x ← x·factor, elementwise. Shape: x [n].</summary>
    public static void Scale(Span<float> x, float factor) => TensorPrimitives.Multiply(x, factor, x);

    /// <summary>Naive twin of <see cref="Scale"/>.</summary>
    public static void ScaleNaive(Span<float> x, float factor)
    {
        for (int j = 0; j < x.Length; j++) x[j] *= factor;
    }

    private static double AddInOrder(double sum, Vector512<double> squares)
    {
        for (int k = 0; k < Vector512<double>.Count; k++) sum += squares.GetElement(k);
        return sum;
    }

    private static double AddInOrder(double sum, Vector256<double> squares)
    {
        for (int k = 0; k < Vector256<double>.Count; k++) sum += squares.GetElement(k);
        return sum;
    }
}
