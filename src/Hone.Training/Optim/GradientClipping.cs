using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Training.Optim;

/// <summary>Gradient clipping by the global L2 norm over all parameters (the <see cref="GradientNorm"/> kernels); allocates nothing.</summary>
public static class GradientClipping
{
    /// <summary>The global L2 norm of all gradients (accumulated in double, in parameter order).</summary>
    public static double GlobalNorm(IReadOnlyList<TrainableParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        for (int i = 0; i < parameters.Count; i++) sum = GradientNorm.SumOfSquares(parameters[i].Grad.Span, sum);
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
        for (int i = 0; i < parameters.Count; i++) GradientNorm.Scale(parameters[i].Grad.Span, scale);
        return norm;
    }
}
