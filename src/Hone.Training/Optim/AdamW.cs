using Hone.Models.Train;
using Hone.Numerics;

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
/// AdamW (Loshchilov and Hutter) with bias correction and decoupled weight decay. The moments live in the run's arena
/// (carved once, in the parameters' fixed order, as <c>adam_m.NAME</c> and <c>adam_v.NAME</c>); a step is one
/// <see cref="AdamWUpdate"/> kernel call per slice of at most <see cref="SliceFloats"/> floats of each parameter, the
/// slices spread over a worker pool when one is given (the update is elementwise: the same bits whatever the split),
/// and allocates nothing.
/// </summary>
public sealed class AdamW : IDisposable
{
    /// <summary>Floats per work item of a parallel step (a few hundred kilobytes of each of the four streams).</summary>
    public const int SliceFloats = 1 << 16;

    private readonly IReadOnlyList<TrainableParameter> _parameters;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private readonly Arena? _own;
    private readonly WorkerPool _pool;
    private readonly StepJob _job;

    /// <summary>
    /// Creates the optimiser for <paramref name="parameters"/> (zero moments, step 0), carving the moments from
    /// <paramref name="arena"/> (sized with <see cref="FloatsFor"/> among the run's other tensors), or from an arena of
    /// its own when none is given (disposed with the optimiser). A step's slices run on <paramref name="pool"/>
    /// (default: the calling thread).
    /// </summary>
    public AdamW(IReadOnlyList<TrainableParameter> parameters, AdamWSettings settings, Arena? arena = null, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        _parameters = parameters;
        if (arena is null) arena = _own = new Arena(Math.Max(1, FloatsFor(parameters)));
        _m = new Tensor[parameters.Count];
        _v = new Tensor[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            int length = parameters[i].Value.Length;
            _m[i] = arena.Allocate("adam_m." + parameters[i].Name, length);
            _v[i] = arena.Allocate("adam_v." + parameters[i].Name, length);
        }

        _pool = pool ?? WorkerPool.Single;
        _job = new StepJob(this);
    }

    /// <summary>Floats the moments of <paramref name="parameters"/> take in an arena.</summary>
    public static long FloatsFor(IReadOnlyList<TrainableParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var lengths = new long[2 * parameters.Count];
        for (int i = 0; i < parameters.Count; i++) lengths[2 * i] = lengths[(2 * i) + 1] = parameters[i].Value.Length;
        return Arena.FloatsFor(lengths);
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWSettings Settings { get; }

    /// <summary>Optimiser steps taken (the bias-correction exponent).</summary>
    public long StepCount { get; set; }

    /// <summary>First moment of parameter <paramref name="index"/> (for checkpoints).</summary>
    public Span<float> FirstMoment(int index) => _m[index].Span;

    /// <summary>Second moment of parameter <paramref name="index"/> (for checkpoints).</summary>
    public Span<float> SecondMoment(int index) => _v[index].Span;

    /// <summary>One update of every parameter from its accumulated gradient at learning rate <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        StepCount++;
        double b1 = Settings.Beta1, b2 = Settings.Beta2;
        // Step size with both bias corrections folded in: lr·√(1−β2^t)/(1−β1^t), eps scaled to match (PyTorch's form).
        var step = new AdamWStep((float)b1, (float)b2, (float)(1 - b1), (float)(1 - b2),
            StepSize: (float)learningRate / (float)(1 - Math.Pow(b1, StepCount)),
            Correction2Sqrt: (float)Math.Sqrt(1 - Math.Pow(b2, StepCount)), Epsilon: (float)Settings.Epsilon);
        float decay = (float)(learningRate * Settings.WeightDecay);
        _job.Step = step;
        _job.Decay = decay;
        if (_pool.ThreadCount == 1)
        {
            for (int i = 0; i < _job.Slices.Length; i++) _job.Execute(i, 0);
        }
        else
        {
            _pool.Run(_job, _job.Slices.Length);
        }
    }

    /// <summary>Frees the moments' arena when the optimiser made its own.</summary>
    public void Dispose() => _own?.Dispose();

    /// <summary>One slice (parameter, start, length) per item, the table made once.</summary>
    private sealed class StepJob : IParallelWork
    {
        private readonly AdamW _owner;

        public StepJob(AdamW owner)
        {
            _owner = owner;
            var slices = new List<(int, int, int)>();
            for (int i = 0; i < owner._parameters.Count; i++)
            {
                int length = owner._parameters[i].Value.Length;
                for (int start = 0; start < length; start += SliceFloats) slices.Add((i, start, Math.Min(SliceFloats, length - start)));
            }

            Slices = [.. slices];
        }

        public (int Parameter, int Start, int Length)[] Slices { get; }

        public AdamWStep Step { get; set; }

        public float Decay { get; set; }

        public void Execute(int index, int worker)
        {
            var (i, start, length) = Slices[index];
            var p = _owner._parameters[i];
            AdamWUpdate.Apply(p.Value.Span.Slice(start, length), p.Grad.Span.Slice(start, length), _owner._m[i].Span.Slice(start, length),
                _owner._v[i].Span.Slice(start, length), Step, p.WeightDecay ? Decay : 0f);
        }
    }
}
