namespace Hone.Training.Optim;

/// <summary>How the learning rate decays after warm-up.</summary>
public enum DecayKind
{
    /// <summary>Half a cosine from the peak down to the floor.</summary>
    Cosine,

    /// <summary>A straight line from the peak down to the floor.</summary>
    Linear,

    /// <summary>The peak rate to the end.</summary>
    Constant,
}

/// <summary>
/// Linear warm-up from 0 to <paramref name="PeakRate"/> over <paramref name="WarmupSteps"/> steps, then decay to
/// <paramref name="FloorRatio"/> × peak. Steps are 1-based: step s (of <paramref name="TotalSteps"/>) uses
/// peak·s/W while s ≤ W, then peak·(f + (1 − f)·d(p)) with progress p = (s − 1 − W)/(T − W) ∈ [0, 1)
/// and d(p) = ½(1 + cos πp) (cosine) or 1 − p (linear).
/// </summary>
public sealed record LearningRateSchedule(double PeakRate, int TotalSteps, int WarmupSteps = 0, DecayKind Decay = DecayKind.Cosine, double FloorRatio = 0)
{
    /// <summary>The learning rate of 1-based step <paramref name="step"/>.</summary>
    public double RateAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (step <= WarmupSteps) return PeakRate * step / WarmupSteps;
        int decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        double p = Math.Min(1.0, (double)(step - 1 - WarmupSteps) / decaySteps);
        double d = Decay switch
        {
            DecayKind.Cosine => 0.5 * (1 + Math.Cos(Math.PI * p)),
            DecayKind.Linear => 1 - p,
            _ => 1,
        };
        return PeakRate * (FloorRatio + ((1 - FloorRatio) * d));
    }
}
