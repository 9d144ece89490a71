using Hone.Models;
using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Reference.Tests;

/// <summary>
/// Passes everything through to the engine and records, for each optimiser step (a <see cref="ZeroGrad"/> opens one),
/// every parameter's value as the step began and its gradient after the step's last backward pass — before clipping
/// and before the optimiser moves anything. The trainers call ZeroGrad, then Forward/Backward per micro-batch, then
/// clip and step, so these are exactly the gradients of the step's loss at the step's weights.
/// </summary>
internal sealed class GradientTap(ITrainableModel inner) : ITrainableModel
{
    /// <summary>One step: name → value at the start, name → accumulated gradient.</summary>
    public sealed record Step(Dictionary<string, float[]> Values, Dictionary<string, float[]> Grads, int Backwards);

    public List<Step> Steps { get; } = [];

    public int VocabSize => inner.VocabSize;

    public int MaxSequenceLength => inner.MaxSequenceLength;

    public IReadOnlyList<TrainableParameter> Parameters => inner.Parameters;

    public void Forward(TokenBatch batch, Span<float> targetLogProbs, Span<bool> argmaxCorrect) => inner.Forward(batch, targetLogProbs, argmaxCorrect);

    public void Backward(ReadOnlySpan<float> coefficients)
    {
        inner.Backward(coefficients);
        if (Steps.Count == 0)
        {
            throw new InvalidOperationException("A backward pass before any ZeroGrad: the trainer's step has no start.");
        }

        var last = Steps[^1];
        Steps[^1] = last with { Grads = Snapshot(p => p.Grad.Span.ToArray()), Backwards = last.Backwards + 1 };
    }

    public bool HasAdapters => inner.HasAdapters;

    public bool AdaptersEnabled { get => inner.AdaptersEnabled; set => inner.AdaptersEnabled = value; }

    public bool DropoutEnabled { get => inner.DropoutEnabled; set => inner.DropoutEnabled = value; }

    public long DropoutStep { get => inner.DropoutStep; set => inner.DropoutStep = value; }

    public IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null) => inner.OpenSamplingSession(maxContext, pool);

    public void ZeroGrad()
    {
        inner.ZeroGrad();
        Steps.Add(new Step(Snapshot(p => p.Value.Span.ToArray()), [], 0));
    }

    private Dictionary<string, float[]> Snapshot(Func<TrainableParameter, float[]> of) =>
        inner.Parameters.ToDictionary(p => p.Name, of, StringComparer.Ordinal);
}
