using System.Globalization;
using System.Text.Json;
using Hone.Bench.Compare;

namespace Hone.Bench.Train;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- train-compare [--shapes 134m,0.5b] [--methods full,lora]
/// [--threads 2] [--base f32,bf16] [--recompute no|yes] [--seq 512] [--steps 3] [--warmup 1] [--profile yes|no]
/// [--llamacpp yes|no] [--out DIR]</c>:
/// full-SFT and LoRA (over an F32 and a BF16 base) training tokens/s of random models of real shapes, model FLOPs
/// utilisation against the machine's measured FMA peak, memory per parameter (weights, gradients, Adam moments,
/// activations with and without recomputation, scratch), optionally the
/// step's GEMMs timed alone at their real shapes, and llama.cpp's own training API (llama_opt_init / llama_opt_epoch
/// through LLamaSharp's native library, in a child process so an abort is caught and recorded) on the same model and
/// sequence length. Writes train-compare.json and train-compare.md to <c>--out</c> (default artifacts/bench/train).
/// </summary>
internal static class TrainCompareCommand
{
    private sealed record Options(string[] Shapes, string[] Methods, int[] Threads, Hone.Models.Train.LoraBaseType[] Bases, bool Recompute, int Seq, int Steps,
        int Warmup, bool Profile, bool LlamaCpp, string Out);

    public static int Run(string[] args)
    {
        var o = Parse(args);
        Directory.CreateDirectory(o.Out);
        var started = DateTime.UtcNow;
        string load = BenchMachine.Load();
        string commit = BenchMachine.Git("rev-parse --short HEAD");
        Console.Error.WriteLine($"load average at start: {load}");
        var peaks = o.Threads.ToDictionary(t => t, t => MachineLimits.FmaPeakGflops(t));
        double corePeak = CpuPeakPerCore();
        foreach (var (t, p) in peaks) Console.Error.WriteLine($"FMA peak {t}t: {p:F0} GFLOP/s wall; {corePeak:F0} GFLOP per CPU-second");
        var runs = new List<object>();
        var profiles = new List<object>();
        var references = new List<object>();
        foreach (var shape in o.Shapes)
        {
            var config = TrainShapes.Get(shape, o.Seq);
            foreach (int threads in o.Threads)
            {
                foreach (var (method, baseType) in o.Methods.SelectMany(m => m == "lora" ? o.Bases.Select(b => (m, b)) : [(m, Hone.Models.Train.LoraBaseType.F32)]))
                {
                    var r = TrainStepMeasure.Run(shape, method == "lora", threads, o.Seq, o.Warmup, o.Steps, s => Console.Error.WriteLine(s), baseType, o.Recompute);
                    double peak = peaks[threads];
                    double flops6N = 6.0 * r.MatMulParameters;
                    double flopsAll = flops6N + TrainShapes.AttentionFlopsPerToken(config, o.Seq);
                    double mfu = method == "full" ? r.TokensPerSecond * flops6N / 1e9 / peak : double.NaN;
                    Console.Error.WriteLine($"{shape} {method} {r.BaseType} {threads}t: {r.TokensPerSecond:F1} tok/s (fwd {r.ForwardSeconds:F2} s, bwd {r.BackwardSeconds:F2} s, clip+adam {r.OptimizerSeconds:F3} s), MFU {mfu:P1}");
                    runs.Add(new
                    {
                        shape, describe = TrainShapes.Describe(shape), method, base_type = r.BaseType, recompute = r.Recompute, threads, seq = o.Seq, steps = o.Steps,
                        tokens_per_second = r.TokensPerSecond, step_seconds = r.StepSeconds, forward_seconds = r.ForwardSeconds,
                        backward_seconds = r.BackwardSeconds, optimizer_seconds = r.OptimizerSeconds,
                        matmul_parameters = r.MatMulParameters, distinct_parameters = r.DistinctParameters, trainable_parameters = r.TrainableParameters,
                        gflops_6n = r.TokensPerSecond * flops6N / 1e9, gflops_with_attention = r.TokensPerSecond * flopsAll / 1e9,
                        cpu_seconds_per_step = r.CpuSecondsPerStep, tokens_per_cpu_second = o.Seq / r.CpuSecondsPerStep,
                        mfu_6n_cpu_time = method == "full" ? o.Seq / r.CpuSecondsPerStep * flops6N / 1e9 / corePeak : (double?)null,
                        fma_peak_gflops = peak, mfu_6n = method == "full" ? mfu : (double?)null,
                        mfu_with_attention = method == "full" ? r.TokensPerSecond * flopsAll / 1e9 / peak : (double?)null,
                        memory = new
                        {
                            weights_bytes = r.WeightBytes, grads_bytes = r.GradBytes, adam_bytes = r.AdamBytes, activation_bytes = r.ActivationBytes,
                            activation_bytes_without_recompute = r.Recompute ? r.ActivationBytesOther : r.ActivationBytes,
                            activation_bytes_with_recompute = r.Recompute ? r.ActivationBytes : r.ActivationBytesOther,
                            scratch_bytes = r.ScratchBytes, total_bytes = r.TotalBytes, peak_working_set_bytes = r.PeakWorkingSetBytes,
                            state_bytes_per_parameter = (double)(r.WeightBytes + r.GradBytes + r.AdamBytes) / r.DistinctParameters,
                            total_bytes_per_parameter = (double)r.TotalBytes / r.DistinctParameters,
                            activation_bytes_per_token = (double)r.ActivationBytes / o.Seq,
                        },
                    });
                }

                if (o.Profile)
                {
                    var g = TrainGemmProfile.Run(config, o.Seq, threads);
                    foreach (var x in g) Console.Error.WriteLine($"  {x.Op,-28} {x.M}×{x.K}×{x.N} ×{x.PerStep}: {x.Gflops:F0} GFLOP/s ({x.GflopsPerCpuSecond:F0} per CPU-s), {x.SecondsPerStep:F3} s/step");
                    profiles.Add(new { shape, threads, seq = o.Seq, gemm_seconds_per_step = g.Sum(x => x.SecondsPerStep), ops = g });
                }
            }

            if (o.LlamaCpp)
            {
                foreach (int threads in o.Threads)
                {
                    var reference = LlamaCppTrain.RunChild(shape, o.Seq, threads, Math.Max(1, o.Steps), o.Out);
                    Console.Error.WriteLine($"llama.cpp training {shape} {threads}t: {reference.Status} {reference.TokensPerSecond?.ToString("F1", CultureInfo.InvariantCulture)} {reference.Failure}");
                    references.Add(reference);
                }
            }
        }

        var report = new
        {
            started_utc = started.ToString("O", CultureInfo.InvariantCulture),
            commit,
            cpu = BenchMachine.CpuName(),
            load_average_start = load,
            load_average_end = BenchMachine.Load(),
            fma_peak_gflops = peaks.Select(p => new { threads = p.Key, gflops = p.Value }),
            fma_peak_gflops_per_cpu_second = corePeak,
            runs,
            llamacpp = references,
            gemm_profile = profiles,
        };
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(o.Out, "train-compare.json"), json);
        var md = TrainCompareMarkdown.Render(json);
        File.WriteAllText(Path.Combine(o.Out, "train-compare.md"), md);
        Console.WriteLine(md);
        return 0;
    }

    /// <summary>FMA GFLOP per CPU-second of one thread (the chains of <see cref="MachineLimits"/>, 3 repetitions, timed
    /// in process CPU time): the peak a core gives while it runs, however often a loaded machine takes it away.</summary>
    private static double CpuPeakPerCore()
    {
        const int iterations = 20_000_000;
        double c0 = CpuTime.Process();
        MachineLimits.FmaPeakGflops(1, iterations);
        double cpu = CpuTime.Process() - c0;
        int lanes = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 16 : 8;
        return 3.0 * iterations * 12 * lanes * 2 / cpu / 1e9;
    }

    private static Options Parse(string[] args)
    {
        var map = BenchMachine.ParseOptions("train-compare", args, ["shapes", "methods", "threads", "base", "recompute", "seq", "steps", "warmup", "profile", "llamacpp", "out"]);
        var shapes = map.GetValueOrDefault("shapes", "134m,0.5b").Split(',');
        foreach (var s in shapes) TrainShapes.Get(s, 16);
        var methods = map.GetValueOrDefault("methods", "full,lora").Split(',');
        if (methods.Any(m => m is not ("full" or "lora"))) throw new ArgumentException("train-compare: --methods is full, lora or both");
        return new Options(shapes, methods,
            BenchMachine.Ints(map.GetValueOrDefault("threads", "2")),
            map.GetValueOrDefault("base", "f32,bf16").Split(',').Select(TrainStepMeasure.ParseBase).ToArray(),
            map.GetValueOrDefault("recompute", "no") == "yes",
            int.Parse(map.GetValueOrDefault("seq", "512"), CultureInfo.InvariantCulture),
            int.Parse(map.GetValueOrDefault("steps", "3"), CultureInfo.InvariantCulture),
            int.Parse(map.GetValueOrDefault("warmup", "1"), CultureInfo.InvariantCulture),
            map.GetValueOrDefault("profile", "no") == "yes",
            map.GetValueOrDefault("llamacpp", "yes") == "yes",
            map.GetValueOrDefault("out", Path.Combine("artifacts", "bench", "train")));
    }
}
