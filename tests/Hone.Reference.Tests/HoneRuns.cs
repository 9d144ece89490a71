using Hone.Models.Train;
using Hone.Testing;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Reference.Tests;

/// <summary>Hone's gradients of one optimiser step: the weights the step started from and the accumulated gradients.</summary>
/// <param name="Values">Trained parameters at the start of the step, by name.</param>
/// <param name="Grads">Their gradients of the step's loss.</param>
/// <param name="Loss">The step's loss as the trainer reported it.</param>
/// <param name="FrozenValues">For DPO with full fine-tuning, the starting weights (the frozen reference model); else null.</param>
internal sealed record HoneStep(Dictionary<string, float[]> Values, Dictionary<string, float[]> Grads, double Loss, Dictionary<string, float[]>? FrozenValues = null);

/// <summary>
/// Runs Hone's own trainers (<see cref="SftTrainer"/>, <see cref="DpoTrainer"/>) on the shared engine for real and takes the
/// gradients of one optimiser step, with clipping off so that the gradients are the loss's own.
/// </summary>
internal static class HoneRuns
{
    /// <summary>LoRA on every linear layer (q, k, v, o, gate, up, down).</summary>
    public static LoraOptions Lora(int seed) => new() { Rank = 4, Alpha = 8, TargetModules = ["all-linear"], Seed = seed };

    /// <summary>
    /// SFT: one step over all <paramref name="examples"/> in micro-batches (so gradients accumulate over two backward
    /// passes), padded rows or packed rows (segments with restarting positions).
    /// </summary>
    public static HoneStep Sft(LlamaTrainer engine, IReadOnlyList<TokenizedExample> examples, bool packing)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(examples);
        var tap = new GradientTap(engine);
        var options = new SftOptions
        {
            Method = engine.IsLora ? TrainingMethod.Lora : TrainingMethod.Full,
            Epochs = 1,
            BatchSize = examples.Count,
            MicroBatchSize = packing ? 1 : 2,
            Packing = packing,
            MaxGradNorm = 0,
            WarmupRatio = 0,
            EvalEvery = 0,
            Seed = 3,
        };
        var result = new SftTrainer(tap, options, examples, null, new RunFolder(TestAssets.NewTempDir())).Run();
        var step = Assert.Single(tap.Steps);
        Assert.Equal(2, step.Backwards);
        return new HoneStep(step.Values, step.Grads, result.History[0].TrainLoss);
    }

    /// <summary>
    /// DPO with full fine-tuning: two steps over all pairs (micro-batches of one pair). The first starts where the reference
    /// is (h = 0); the second is taken, from weights one step away from the frozen reference.
    /// </summary>
    public static HoneStep DpoFull(LlamaTrainer engine, IReadOnlyList<PreferencePair> pairs, DpoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var tap = new GradientTap(engine);
        var result = new DpoTrainer(tap, DpoOptions(TrainingMethod.Full, 2, pairs.Count, settings), pairs, new RunFolder(TestAssets.NewTempDir())).Train();
        Assert.Equal(2, tap.Steps.Count);
        Assert.All(tap.Steps, s => Assert.Equal(pairs.Count, s.Backwards));
        return new HoneStep(tap.Steps[1].Values, tap.Steps[1].Grads, result.History[1].Train.Loss, tap.Steps[0].Values);
    }

    /// <summary>
    /// DPO with LoRA: one step over all pairs; the trainer scores the reference with the adapters switched off (the base
    /// model), so policy and reference differ from the start. The engine is passed as is (the trainer switches its
    /// adapters), and its gradients are read after the step (the optimiser reads them, never writes them).
    /// </summary>
    public static HoneStep DpoLora(LlamaTrainer engine, IReadOnlyList<PreferencePair> pairs, DpoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var values = engine.Parameters.ToDictionary(p => p.Name, p => p.Value.Span.ToArray(), StringComparer.Ordinal);
        var result = new DpoTrainer(engine, DpoOptions(TrainingMethod.Lora, 1, pairs.Count, settings), pairs, new RunFolder(TestAssets.NewTempDir())).Train();
        Assert.Equal(1, result.Steps);
        var grads = engine.Parameters.ToDictionary(p => p.Name, p => p.Grad.Span.ToArray(), StringComparer.Ordinal);
        return new HoneStep(values, grads, result.History[0].Train.Loss);
    }

    private static DpoOptions DpoOptions(TrainingMethod method, int epochs, int pairs, DpoSettings settings) => new()
    {
        Method = method,
        Epochs = epochs,
        BatchSize = pairs,
        MicroBatchPairs = 1,
        LearningRateMultiplier = 5, // full: 1e-4, so the second step's policy is measurably away from the reference
        WarmupRatio = 0,
        Decay = DecayKind.Constant,
        MaxGradNorm = 0,
        EvalEvery = 0,
        Dpo = settings,
        Seed = 3,
    };
}
