using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Training.Optim;

/// <summary>Gradient clipping by the global L2 norm over all parameters (the <see cref="GradientNorm"/> kernels).</summary>
public static class GradientClipping
{
    /// <summary>The global L2 norm of all gradients (accumulated in double, in parameter order).</summary>
    public static double GlobalNorm(IReadOnlyList<TrainableParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        foreach (var p in parameters) sum = GradientNorm.SumOfSquares(p.Grad.Span, sum);
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales every gradient by maxNorm / norm when the global norm exceeds <paramref name="maxNorm"/>
    /// (no-op when maxNorm ≤ 0). Returns the norm before clipping.
    /// </summary>
    public static double ClipByGlobalNorm(IReadOnlyList<TrainableParameter> parameters, double maxNorm)
    {
        double norm = GlobalNorm(parameters);
        if (maxNorm <= 0 || norm <= maxNorm || norm == 0) return norm;
        float scale = (float)(maxNorm / norm);
        foreach (var p in parameters) GradientNorm.Scale(p.Grad.Span, scale);
        return norm;
    }
}
