using System.Diagnostics;
using LLama.Native;

namespace Hone.Bench.Compare;

/// <summary>llama.cpp (LLamaSharp's CPU backend, in process) timed on a prompt and greedy generation, with its default
/// context settings except the thread counts.</summary>
internal sealed class LlamaCppRunner : IDisposable
{
    private static bool _configured;
    private readonly SafeLlamaModelHandle _model;

    public LlamaCppRunner(string path)
    {
        if (!_configured)
        {
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            NativeApi.llama_empty_call();
        }

        var p = LLamaModelParams.Default();
        p.n_gpu_layers = 0;
        _model = SafeLlamaModelHandle.LoadFromFile(path, p);
    }

    /// <summary>Wall and CPU seconds for the prompt in one batch and for <paramref name="generate"/> greedy tokens, one measurement.</summary>
    public RunTimes Time(int[] prompt, int generate, int threads)
    {
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)(prompt.Length + generate + 16);
        p.n_batch = (uint)prompt.Length;
        p.n_ubatch = (uint)prompt.Length;
        p.n_seq_max = 1;
        p.n_threads = threads;
        p.n_threads_batch = threads;
        using var ctx = _model.CreateContext(p);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        var clock = RunTimes.Start();
        Check(ctx.Decode(batch));
        var (promptWall, promptCpu) = clock.Lap();
        int pos = prompt.Length;
        int next = ArgMax(ctx.GetLogitsIth(batch.TokenCount - 1));
        for (int s = 0; s < generate; s++)
        {
            batch.Clear();
            batch.Add(next, pos++, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
            next = ArgMax(ctx.GetLogitsIth(0));
        }

        var (genWall, genCpu) = clock.Lap();
        return new RunTimes(promptWall, promptCpu, genWall, genCpu);
    }

    private static void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>Wall-clock and process CPU seconds of a prompt and of the generated tokens (one run).</summary>
internal readonly record struct RunTimes(double PromptWall, double PromptCpu, double GenWall, double GenCpu)
{
    public static Clock Start() => new(Stopwatch.StartNew(), CpuSeconds());

    /// <summary>The medians, field by field, of several runs.</summary>
    public static RunTimes Median(IReadOnlyList<RunTimes> runs) => new(
        Hone.Bench.CompareCommand.Median(runs.Select(r => r.PromptWall)), Hone.Bench.CompareCommand.Median(runs.Select(r => r.PromptCpu)),
        Hone.Bench.CompareCommand.Median(runs.Select(r => r.GenWall)), Hone.Bench.CompareCommand.Median(runs.Select(r => r.GenCpu)));

    private static double CpuSeconds()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Wall and CPU seconds since the last lap.</summary>
    internal sealed class Clock(Stopwatch wall, double cpu)
    {
        private double _cpu = cpu;

        public (double Wall, double Cpu) Lap()
        {
            double w = wall.Elapsed.TotalSeconds, c = CpuSeconds();
            wall.Restart();
            var lap = (w, c - _cpu);
            _cpu = c;
            return lap;
        }
    }
}
