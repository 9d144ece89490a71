using System.Diagnostics;
using Hone.Models.Benchmarks;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Training.Optim;

namespace Hone.Bench.Train;

/// <summary>One measured training configuration: seconds per phase (medians over the timed steps) and memory.</summary>
internal sealed record TrainStepResult(
    string Shape, string Method, int Threads, int Seq, int Steps, double ForwardSeconds, double BackwardSeconds, double OptimizerSeconds,
    double StepSeconds, double TokensPerSecond, double CpuSecondsPerStep, long MatMulParameters, long DistinctParameters, long TrainableParameters,
    long WeightBytes, long GradBytes, long AdamBytes, long ActivationBytes, long ScratchBytes, long PeakWorkingSetBytes,
    string BaseType, bool Recompute, long ActivationBytesOther)
{
    public long TotalBytes => WeightBytes + GradBytes + AdamBytes + ActivationBytes + ScratchBytes;
}

/// <summary>
/// Times full steps of SFT on one random model: zero grads, forward, backward (every position trained), global-norm
/// clipping and AdamW, over one row of <c>seq</c> tokens, exactly what <c>TrainingLoop</c> does per optimizer step
/// with one micro-batch. Memory is read from the arenas: weights, gradients, Adam moments, activations (the
/// trainer's saved tensors) and scratch. With a BF16 base (LoRA), the frozen layer linears count at 2 bytes each.
/// ActivationBytesOther is what the activations take with the other recomputation setting (its arena carved, no step run).
/// </summary>
internal static class TrainStepMeasure
{
    public static LoraOptions Lora(int rank = 8) => new() { Rank = rank, Alpha = 2 * rank, TargetModules = ["all-linear"] };

    public static TrainStepResult Run(string shape, bool lora, int threads, int seq, int warmup, int steps, Action<string>? log = null,
        LoraBaseType baseType = LoraBaseType.F32, bool recompute = false)
    {
        using var model = ModelBenchmark.RandomModel(TrainShapes.Get(shape, Math.Max(seq, 16)));
        return Run(model, shape, lora, threads, seq, warmup, steps, log, baseType, recompute);
    }

    /// <summary>As above on a model already made (full fine-tuning changes its weights); a BF16 base is converted from
    /// it for the measurement (<see cref="BF16Base.Convert"/>) and freed after.</summary>
    public static TrainStepResult Run(LlamaModel model, string shape, bool lora, int threads, int seq, int warmup, int steps, Action<string>? log = null,
        LoraBaseType baseType = LoraBaseType.F32, bool recompute = false)
    {
        if (baseType == LoraBaseType.BF16)
        {
            if (!lora) throw new ArgumentException("A BF16 base is frozen: measure it with LoRA.", nameof(baseType));
            using var bf16 = new LlamaModel(BF16Base.Convert(model.Weights));
            return Measure(bf16, shape, lora, threads, seq, warmup, steps, log, baseType, recompute);
        }

        return Measure(model, shape, lora, threads, seq, warmup, steps, log, baseType, recompute);
    }

    private static TrainStepResult Measure(LlamaModel model, string shape, bool lora, int threads, int seq, int warmup, int steps, Action<string>? log,
        LoraBaseType baseType, bool recompute)
    {
        var config = model.Config;
        var options = lora ? Lora() with { BaseType = baseType } : null;
        using var pool = new WorkerPool(threads);
        long activationsOther;
        using (var other = new LlamaTrainer(model, 1, seq, options, pool, !recompute))
        {
            activationsOther = Split(other).Activations;
        }

        using var trainer = new LlamaTrainer(model, 1, seq, options, pool, recompute);
        using var adam = new AdamW(trainer.Parameters, new AdamWSettings(WeightDecay: 0.01), pool: pool);
        var batch = Batch(config.VocabSize, seq);
        var logp = new float[seq];
        var correct = new bool[seq];
        var coef = new float[seq];
        for (int i = 0; i + 1 < seq; i++) coef[i] = -1f / (seq - 1);

        var fwd = new List<double>();
        var bwd = new List<double>();
        var opt = new List<double>();
        var total = new List<double>();
        var cpu = new List<double>();
        for (int s = 0; s < warmup + steps; s++)
        {
            double c0 = CpuTime.Process();
            long t0 = Stopwatch.GetTimestamp();
            trainer.ZeroGrad();
            trainer.Forward(batch, logp, correct);
            long t1 = Stopwatch.GetTimestamp();
            trainer.Backward(coef);
            long t2 = Stopwatch.GetTimestamp();
            GradientClipping.ClipByGlobalNorm(trainer.Parameters, 1.0);
            adam.Step(1e-5);
            long t3 = Stopwatch.GetTimestamp();
            double c1 = CpuTime.Process();
            if (s >= warmup)
            {
                fwd.Add(Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
                bwd.Add(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
                opt.Add(Stopwatch.GetElapsedTime(t2, t3).TotalSeconds);
                total.Add(Stopwatch.GetElapsedTime(t0, t3).TotalSeconds);
                cpu.Add(c1 - c0);
            }

            log?.Invoke($"  {shape} {(lora ? "lora" : "full")} {Name(baseType)}{(recompute ? " recompute" : "")} {threads}t step {s}: {Stopwatch.GetElapsedTime(t0, t3).TotalSeconds:F2} s");
        }

        var (matmul, distinct) = TrainShapes.Parameters(config);
        long trainable = trainer.Parameters.Sum(p => (long)p.Value.Length);
        var (grads, acts, scratch, saved) = Split(trainer);
        long weights = (4L * model.Weights.Arena.UsedFloats) + model.Weights.Stored.Values.Sum(m => (long)m.Bytes.Length) + saved;
        double step = Median(total);
        return new TrainStepResult(shape, lora ? "lora" : "full", threads, seq, steps, Median(fwd), Median(bwd), Median(opt), step, seq / step, Median(cpu),
            matmul, distinct, trainable, weights, grads, 4L * AdamW.FloatsFor(trainer.Parameters), acts, scratch,
            Process.GetCurrentProcess().PeakWorkingSet64, Name(baseType), recompute, activationsOther);
    }

    /// <summary>"f32" or "bf16".</summary>
    public static string Name(LoraBaseType type) => type == LoraBaseType.BF16 ? "bf16" : "f32";

    /// <summary>The base type a name gives ("f32" or "bf16").</summary>
    public static LoraBaseType ParseBase(string name) => name switch
    {
        "f32" => LoraBaseType.F32,
        "bf16" => LoraBaseType.BF16,
        _ => throw new ArgumentException($"base type '{name}': use f32 or bf16"),
    };

    /// <summary>The trainer arena's bytes: gradients, saved activations, scratch, and the trained adapters and copies.</summary>
    private static (long Grads, long Activations, long Scratch, long Saved) Split(LlamaTrainer trainer)
    {
        long grads = 0, acts = 0, scratch = 0, saved = 0;
        foreach (var (name, t) in trainer.Arena.Tensors)
        {
            long bytes = 4L * t.Length;
            if (name.StartsWith("grad:", StringComparison.Ordinal)) grads += bytes;
            else if (IsScratch(name)) scratch += bytes;
            else if (name.Contains("lora_", StringComparison.Ordinal) || name.Contains("modules_to_save", StringComparison.Ordinal)) saved += bytes;
            else acts += bytes;
        }

        return (grads, acts, scratch, saved);
    }

    /// <summary>Scratch tensors of the trainer: reused within a step, never saved for the backward.</summary>
    private static bool IsScratch(string name) =>
        name.StartsWith("s_", StringComparison.Ordinal) || name.StartsWith("d_", StringComparison.Ordinal) || name is "gathered" or "logits"
        or "attention_scratch" or "norm_scratch" or "frozen_norm_grad" or "rope_cos" or "rope_sin";

    public static Hone.Models.Train.TokenBatch Batch(int vocab, int seq)
    {
        var batch = new Hone.Models.Train.TokenBatch(1, seq);
        var rng = new Random(1);
        for (int i = 0; i < seq; i++)
        {
            batch.Tokens[i] = rng.Next(3, vocab);
            batch.Positions[i] = i;
            batch.SegmentIds[i] = 0;
        }

        for (int i = 0; i + 1 < seq; i++) batch.Targets[i] = batch.Tokens[i + 1];
        return batch;
    }

    public static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
    }
}
