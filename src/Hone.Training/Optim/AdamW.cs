using Hone.Models.Train;

namespace Hone.Training.Optim;

/// <summary>AdamW hyper-parameters.</summary>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Epsilon">Added to the root of the second moment.</param>
/// <param name="WeightDecay">Decoupled weight decay (applied as p ← p − lr·λ·p to parameters that take it).</param>
public sealed record AdamWSettings(double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0.0)
{
    /// <summary>Throws <see cref="TrainingException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new TrainingException($"AdamW beta1 must lie in [0, 1) (got {Beta1}); 0.9 is usual.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new TrainingException($"AdamW beta2 must lie in [0, 1) (got {Beta2}); 0.999 is usual.");
        if (!(Epsilon > 0)) throw new TrainingException($"AdamW epsilon must be > 0 (got {Epsilon}); 1e-8 is usual.");
        if (!(WeightDecay >= 0 && WeightDecay < 1)) throw new TrainingException($"AdamW weight decay must lie in [0, 1) (got {WeightDecay}).");
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter) with bias correction and decoupled weight decay. Moment buffers are allocated once,
/// beside the parameters, in the parameters' fixed order; a step allocates nothing.
/// </summary>
public sealed class AdamW
{
    private readonly IReadOnlyList<TrainableParameter> _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;

    /// <summary>Creates the optimiser for <paramref name="parameters"/> (zero moments, step 0).</summary>
    public AdamW(IReadOnlyList<TrainableParameter> parameters, AdamWSettings settings)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        _parameters = parameters;
        _m = new float[parameters.Count][];
        _v = new float[parameters.Count][];
        for (int i = 0; i < parameters.Count; i++)
        {
            _m[i] = new float[parameters[i].Value.Length];
            _v[i] = new float[parameters[i].Value.Length];
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWSettings Settings { get; }

    /// <summary>Optimiser steps taken (the bias-correction exponent).</summary>
    public long StepCount { get; set; }

    /// <summary>First moment of parameter <paramref name="index"/> (for checkpoints).</summary>
    public float[] FirstMoment(int index) => _m[index];

    /// <summary>Second moment of parameter <paramref name="index"/> (for checkpoints).</summary>
    public float[] SecondMoment(int index) => _v[index];

    /// <summary>One update of every parameter from its accumulated gradient at learning rate <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        StepCount++;
        double b1 = Settings.Beta1, b2 = Settings.Beta2;
        float bc1 = (float)(1 - Math.Pow(b1, StepCount));
        float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(b2, StepCount));
        float lr = (float)learningRate, eps = (float)Settings.Epsilon;
        float decay = (float)(learningRate * Settings.WeightDecay);
        float fb1 = (float)b1, fb2 = (float)b2, ob1 = (float)(1 - b1), ob2 = (float)(1 - b2);
        // Step size with both bias corrections folded in: lr·√(1−β2^t)/(1−β1^t), eps scaled to match (PyTorch's form).
        float stepSize = lr / bc1;
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i].Value.Span;
            var g = _parameters[i].Grad.Span;
            var m = _m[i];
            var v = _v[i];
            bool wd = _parameters[i].WeightDecay && decay != 0;
            for (int j = 0; j < p.Length; j++)
            {
                if (wd) p[j] -= decay * p[j];
                float gj = g[j];
                m[j] = (fb1 * m[j]) + (ob1 * gj);
                v[j] = (fb2 * v[j]) + (ob2 * gj * gj);
                p[j] -= stepSize * m[j] / ((MathF.Sqrt(v[j]) / bc2Sqrt) + eps);
            }
        }
    }
}
