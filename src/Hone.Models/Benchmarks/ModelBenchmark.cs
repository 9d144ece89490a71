using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Benchmarks;

/// <summary>One measured case of <see cref="ModelBenchmark"/>.</summary>
/// <param name="Model">"llama-134M" (random, built in code) or "stories260K".</param>
/// <param name="Case">"prompt" (a whole prompt in blocks: blocked matmul), "prompt/token" (the same prompt one token per
/// forward: matvec, the reference for "prompt") or "decode" (greedy generation from the KV cache).</param>
/// <param name="Threads">Workers.</param>
/// <param name="TokensPerSecond">Best wall-clock tokens/s over the repetitions.</param>
/// <param name="CpuTokensPerSecond">Tokens per CPU-second of the process times <paramref name="Threads"/>: what the run
/// reaches when its threads are not descheduled (steadier on a loaded machine).</param>
public sealed record ModelBenchmarkResult(string Model, string Case, int Threads, double TokensPerSecond, double CpuTokensPerSecond);

/// <summary>
/// A quick self-timing inference benchmark (the CLI's <c>hone bench model</c>): a randomly initialised Llama built in
/// code (dim 768, FFN 2048, 12 layers, 12 heads, 12 KV heads, vocab 32000, tied embedding and classifier: 110M
/// distinct parameters, 134M counting the classifier separately as llama.cpp does), measuring prompt tokens/s (a
/// 256-token prompt) and generated tokens/s on 1 and 2 threads, plus stories260K generation when its file is given.
/// Every figure comes with references measured in the same run: the single-thread run, and for prompts the same
/// prompt fed one token at a time (matvec per token). Ratios compare CPU-time throughput, which a loaded machine
/// disturbs less than wall time; the load average before and after is printed, and so is the read bandwidth of the
/// model's own weights (the ceiling of decode, which on a virtual machine changes with where its memory lands).
/// </summary>
public static class ModelBenchmark
{
    /// <summary>The benchmark model's shape.</summary>
    public static LlamaConfig Llama134M { get; } = new()
    {
        ModelType = "llama",
        Dim = 768,
        HiddenDim = 2048,
        Layers = 12,
        Heads = 12,
        KvHeads = 12,
        HeadDim = 64,
        VocabSize = 32000,
        MaxSeqLen = 1024,
        TiedEmbeddings = true,
        BosId = 1,
        EosIds = [2],
    };

    /// <summary>A model of <paramref name="config"/> with weights drawn uniformly from ±<paramref name="scale"/> (norms 1), seeded.</summary>
    public static LlamaModel RandomModel(LlamaConfig config, ulong seed = 1234, float scale = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(config);
        ulong state = seed;
        return new LlamaModel(LlamaWeights.Create(config.Validate("benchmark"), (name, t) =>
        {
            var s = t.Span;
            if (name.Contains("norm", StringComparison.Ordinal))
            {
                s.Fill(1f);
                return;
            }

            for (int i = 0; i < s.Length; i++)
            {
                // SplitMix64 → uniform in [-scale, scale).
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                s[i] = scale * (((z >> 40) * (2f / (1 << 24))) - 1f);
            }
        }));
    }

    /// <summary>
    /// Measures the 134M model (and stories260K when <paramref name="stories260KPath"/> is given) on 1 and
    /// <paramref name="maxThreads"/> threads and writes a table to <paramref name="output"/>.
    /// </summary>
    /// <param name="output">Where the table goes.</param>
    /// <param name="maxThreads">Largest thread count measured (1 and this one).</param>
    /// <param name="stories260KPath">stories260K.bin, or null to skip it.</param>
    /// <param name="promptTokens">Prompt length.</param>
    /// <param name="decodeTokens">Tokens generated per decode repetition.</param>
    /// <param name="secondsPerCase">CPU time spent repeating each case (at least two repetitions).</param>
    public static IReadOnlyList<ModelBenchmarkResult> Run(
        TextWriter output, int maxThreads = 2, string? stories260KPath = null, int promptTokens = 256, int decodeTokens = 64, double secondsPerCase = 2)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(decodeTokens);
        var results = new List<ModelBenchmarkResult>();
        int[] threadCounts = maxThreads == 1 ? [1] : [1, maxThreads];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average before: {LoadAverage()}; {Environment.ProcessorCount} logical CPUs"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"model",-12} {"case",-13} {"threads",7} {"tok/s",9} {"cpu tok/s",10} {"vs 1 thread",12} {"vs ref",8}   (ratios of cpu tok/s)"));
        using (var model = RandomModel(Llama134M))
        {
            long packStart = Stopwatch.GetTimestamp();
            using (var packPool = new WorkerPool(maxThreads))
            {
                model.PackForInference(packPool);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"packing the layers for prompt blocks (once, at load): {Stopwatch.GetElapsedTime(packStart).TotalSeconds:F2} s, {model.Packed!.Bytes / 1e6:F0} MB"));
            Measure(output, results, "llama-134M", model, threadCounts, promptTokens, decodeTokens, secondsPerCase, tokenByTokenReference: true);
        }

        if (stories260KPath is not null)
        {
            using var stories = LlamaModel.Load(stories260KPath).PackForInference();
            Measure(output, results, "stories260K", stories, threadCounts, promptTokens, Math.Min(256, stories.Config.MaxSeqLen - 1), secondsPerCase, tokenByTokenReference: false);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average after: {LoadAverage()}"));
        return results;
    }

    private static void Measure(
        TextWriter output, List<ModelBenchmarkResult> results, string name, LlamaModel model, int[] threadCounts,
        int promptTokens, int decodeTokens, double seconds, bool tokenByTokenReference)
    {
        int vocab = model.Config.VocabSize;
        promptTokens = Math.Min(promptTokens, model.Config.MaxSeqLen - 1);
        var prompt = new int[promptTokens];
        for (int i = 0; i < prompt.Length; i++)
        {
            prompt[i] = 3 + (int)((i * 7919L) % (vocab - 3));
        }

        double bytesPerToken = 4.0 * DecodeWeights(model).Sum(t => (double)t.Length);
        var decodeOptions = new GenerationOptions { MaxNewTokens = decodeTokens, StopAtEos = false };
        var single = new Dictionary<string, double>();
        foreach (int threads in threadCounts)
        {
            using var pool = new WorkerPool(threads);
            using var session = model.CreateSession(blockSize: promptTokens, pool: pool);
            var cases = new List<(string Case, int Tokens, Action Run, string? Reference)>
            {
                ("prompt", promptTokens, () => { session.Reset(); session.Forward(prompt); }, tokenByTokenReference ? "prompt/token" : null),
            };
            if (tokenByTokenReference)
            {
                cases.Add(("prompt/token", promptTokens, () =>
                {
                    session.Reset();
                    foreach (int t in prompt)
                    {
                        session.Forward(t);
                    }
                }, null));
            }

            var generator = new Generator(session);
            cases.Add(("decode", decodeTokens, () => generator.Generate([1], decodeOptions), null));
            var measured = new Dictionary<string, double>();
            foreach (var (label, tokens, run, _) in cases)
            {
                var (wall, cpu) = Best(seconds, run);
                var r = new ModelBenchmarkResult(name, label, threads, tokens / wall, tokens / cpu * threads);
                results.Add(r);
                measured[label] = r.CpuTokensPerSecond;
                if (threads == 1)
                {
                    single[label] = r.CpuTokensPerSecond;
                }
            }

            // The ceiling of decode: a plain read of the same weights with the same threads, right after it (the memory
            // bandwidth of a virtual machine drifts with its neighbours, so a reference taken minutes apart misleads).
            string ceiling = "";
            if (tokenByTokenReference)
            {
                var (readWall, _) = WeightRead(model, threads, seconds / 2);
                double decodeWall = results.Last(x => x.Model == name && x.Case == "decode" && x.Threads == threads).TokensPerSecond * bytesPerToken / 1e9;
                ceiling = $"; a plain read of the same weights right after: {readWall:F1} GB/s ({readWall * 1e9 / bytesPerToken:F0} tok/s at most; decode at {decodeWall / readWall:P0} of it)";
            }

            foreach (var (label, _, _, reference) in cases)
            {
                var r = results.Last(x => x.Model == name && x.Case == label && x.Threads == threads);
                string vsRef = reference is not null && measured.TryGetValue(reference, out double refTps) ? $"{r.CpuTokensPerSecond / refTps,7:F2}×" : "";
                string reads = label == "decode" ? $"   weights read: {r.TokensPerSecond * bytesPerToken / 1e9:F1} GB/s wall, {r.CpuTokensPerSecond * bytesPerToken / 1e9:F1} cpu{ceiling}" : "";
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name,-12} {label,-13} {threads,7} {r.TokensPerSecond,9:F1} {r.CpuTokensPerSecond,10:F1} {r.CpuTokensPerSecond / single[label],11:F2}× {vsRef,8}{reads}"));
            }
        }
    }

    /// <summary>One warm-up call, then repetitions until <paramref name="cpuBudgetSeconds"/> of CPU time are used
    /// (at least 2): the best wall time of one call and the mean process CPU time per call.</summary>
    private static (double BestWall, double CpuPerCall) Best(double cpuBudgetSeconds, Action action)
    {
        action();
        double best = double.MaxValue;
        double cpuStart = CpuSeconds();
        int calls = 0;
        while (calls < 2 || CpuSeconds() - cpuStart < cpuBudgetSeconds)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            calls++;
        }

        return (best, (CpuSeconds() - cpuStart) / calls);
    }

    /// <summary>Wall-clock GB/s of a plain read (a sum) of the weights a decode step streams (every layer matrix and
    /// the classifier), each tensor split into one contiguous share per thread as the decode matvec splits it: the
    /// ceiling of decode on this memory, measured in the same process; and the same per CPU-second.</summary>
    private static (double Wall, double Cpu) WeightRead(LlamaModel model, int threads, double cpuBudgetSeconds)
    {
        var tensors = DecodeWeights(model);
        using var pool = new WorkerPool(threads);
        var job = new SumJob(tensors, threads);
        var (wall, cpu) = Best(cpuBudgetSeconds, () => pool.Run(job, threads));
        double bytes = 4.0 * tensors.Sum(t => (double)t.Length);
        return (bytes / wall / 1e9, bytes / cpu * threads / 1e9);
    }

    /// <summary>The tensors a decode step streams: every layer matrix, then the classifier.</summary>
    private static List<Hone.Numerics.Tensor> DecodeWeights(LlamaModel model)
    {
        var tensors = new List<Hone.Numerics.Tensor>();
        foreach (var l in model.Weights.Layers)
        {
            tensors.AddRange([l.Wq, l.Wk, l.Wv, l.Wo, l.WGate, l.WUp, l.WDown]);
        }

        tensors.Add(model.Weights.Classifier);
        return tensors;
    }

    /// <summary>Item i sums share i of every tensor, in order.</summary>
    private sealed class SumJob(List<Hone.Numerics.Tensor> tensors, int parts) : IParallelWork
    {
        public void Execute(int index, int worker)
        {
            float s = 0;
            foreach (var t in tensors)
            {
                int per = (t.Length + parts - 1) / parts;
                int start = Math.Min(t.Length, index * per);
                s += TensorPrimitives.Sum(t.Span[start..Math.Min(t.Length, start + per)]);
            }

            if (float.IsNaN(s))
            {
                throw new InvalidOperationException("unreachable: the weights are finite");
            }
        }
    }

    private static double CpuSeconds()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
