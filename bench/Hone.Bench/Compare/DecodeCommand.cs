using System.Diagnostics;
using System.Globalization;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Bench.Compare;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- decode --files a.gguf,b.gguf [--threads 2] [--prompt 512] [--gen 64]
/// [--reps 5] [--seconds S]</c>: Hone's generation alone (no reference loaded) on GGUF files (those <c>compare --out</c>
/// wrote): a prompt, then greedy tokens one at a time, tokens/s and CPU-seconds per token, median and best of the
/// repetitions. Quick to rerun while working on the decode path, and a clean process to profile (<c>perf record</c>
/// with <c>DOTNET_PerfMapEnabled=1</c>); <c>--seconds</c> keeps decoding (after the prompt, again and again) that long after the timed runs.
/// </summary>
internal static class DecodeCommand
{
    public static int Run(string[] args)
    {
        string[] files = [];
        int threads = 2, promptTokens = 512, gen = 64, reps = 5;
        double seconds = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--files": files = v.Split(','); break;
                case "--threads": threads = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--prompt": promptTokens = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--gen": gen = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--reps": reps = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(v, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"decode: unknown option {args[i]} (known: --files, --threads, --prompt, --gen, --reps, --seconds)");
            }
        }

        if (files.Length == 0) throw new ArgumentException("decode: --files is required (GGUF files, e.g. those compare --out wrote)");
        var prompt = Enumerable.Range(0, promptTokens).Select(i => i == 0 ? 1 : 3 + (i * 7919 % 31997)).ToArray();
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        using var pool = new WorkerPool(threads);
        foreach (var path in files)
        {
            using var model = LlamaModel.LoadForInference(path).PackForInference(pool);
            using var session = model.CreateSession(maxContext: Math.Max(promptTokens + gen, 1 + 128) + 16, blockSize: promptTokens, pool: pool);
            Generate(session, prompt, Math.Min(8, gen));
            var wall = new List<double>();
            var cpu = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                var (w, c) = Generate(session, prompt, gen);
                wall.Add(gen / w);
                cpu.Add(c / gen * 1e3);
            }

            // Decode only (the prompt stays in the cache): what a profile of this phase should see.
            var clock = Stopwatch.StartNew();
            int token = 1;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                session.Rewind(prompt.Length);
                for (int i = 0; i < gen; i++) token = LlamaCppRunner.ArgMax(session.Forward(token));
            }

            if (WorkerPoolTrace.Enabled)
            {
                PoolTraceReport.Print(session, pool, 128);
            }

            long bytes = new FileInfo(path).Length;
            double median = CompareCommand.Median(wall);
            Console.WriteLine(FormattableString.Invariant(
                $"{Path.GetFileName(path)} {threads}t: {median:F1} tok/s median, {wall.Max():F1} best, {bytes * median / 1e9:F1} GB/s; CPU {CompareCommand.Median(cpu):F2} ms/token (load {File.ReadAllText("/proc/loadavg").Trim()})"));
        }

        return 0;
    }

    /// <summary>Prompt, then <paramref name="gen"/> greedy tokens; the decode part's wall and process CPU seconds.</summary>
    private static (double Wall, double Cpu) Generate(LlamaSession session, int[] prompt, int gen)
    {
        session.Reset();
        int next = LlamaCppRunner.ArgMax(session.Forward(prompt));
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < gen; i++) next = LlamaCppRunner.ArgMax(session.Forward(next));
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }
}
