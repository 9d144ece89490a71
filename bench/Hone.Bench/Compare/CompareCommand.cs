using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hone.Bench.Compare;
using Hone.Bench.Train;
using Hone.Models.Benchmarks;
using Hone.Models.Llama;
using Hone.Numerics;
using Hone.Testing;
using Hone.Training.Export;

namespace Hone.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- compare [--shape small|134m] [--types f32,bf16,q8_0,q4_0,q4_k (default: all five)]
/// [--threads 1,2] [--prompt N] [--gen N] [--tg N] [--reps N] [--row-budget-s S] [--out DIR]</c>: Hone beside its references in one process and one
/// run: prompt and generation tokens/s against llama.cpp (LLamaSharp 0.30, CPU backend) on the same GGUF file Hone
/// wrote, one per tensor type, and llama-bench's tg (<c>--tg</c> tokens, default 128, 0 leaves it out: greedy generation
/// from an empty context, where decode is the weight kernels and little attention); GEMM GFLOP/s against OpenBLAS's cblas_sgemm (Debian's package, when installed); and the
/// machine's measured FMA peak and memory read bandwidth. Medians of <c>--reps</c> runs (fewer, at least one, once a
/// row has spent <c>--row-budget-s</c> seconds, default 40, so a loaded machine still finishes) after one untimed warm-up run
/// per side, pairs alternated; wall-clock ratios and ratios of process CPU time. Writes
/// compare.json and compare.md to <c>--out</c> (default artifacts/bench/compare) and prints the markdown.
/// Run OpenBLAS with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
/// </summary>
internal static class CompareCommand
{
    private sealed record Options(string Shape, GgufExportType[] Types, int[] Threads, int Prompt, int Gen, int Tg, int Reps, double RowBudget, string Out, (int M, int K, int N)[] Gemm);

    public static int Run(string[] args)
    {
        var o = Parse(args);
        Directory.CreateDirectory(o.Out);
        var started = DateTime.UtcNow;
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        Console.Error.WriteLine($"load average at start: {load}");
        // The read ceiling is the fastest read seen in the run: measured at the start and again just before each row (a
        // shared host's bandwidth moves with its neighbours), so no row is held to a ceiling taken in a slow moment.
        var ceilings = o.Threads.ToDictionary(t => t, t => MachineLimits.ReadBandwidthGBs(t));
        var peaks = o.Threads.ToDictionary(t => t, t => MachineLimits.FmaPeakGflops(t));

        var config = o.Shape == "134m" ? ModelBenchmark.Llama134M : ModelBenchmark.Llama134M with { Dim = 256, HiddenDim = 768, Layers = 4, Heads = 4, KvHeads = 4, HeadDim = 64 };
        var tokenizer = TestAssets.Path("tokenizers", "llama2", "tokenizer.model");
        var prompt = Enumerable.Range(0, o.Prompt).Select(i => i == 0 ? 1 : 3 + (i * 7919 % 31997)).ToArray();
        var rows = new List<(int Threads, Func<double, object> Row)>();
        using (var random = ModelBenchmark.RandomModel(config))
        {
            foreach (var type in o.Types)
            {
                var path = Path.Combine(o.Out, $"llama-{o.Shape}-{type.Name()}.gguf");
                var md = GgufTokenizerMetadata.Build(tokenizer, tokenizer, config.ModelType, config.VocabSize, []);
                GgufExport.Build(random.Weights, $"bench-{o.Shape}", type, md).Write(path);
                foreach (int t in o.Threads)
                {
                    ceilings[t] = Math.Max(ceilings[t], MachineLimits.ReadBandwidthGBs(t));
                    rows.Add((t, MeasureModel(path, type, t, prompt, o)));
                }
            }
        }

        var gemm = new List<object>();
        foreach (var (m, k, n) in o.Gemm)
            foreach (int t in o.Threads) gemm.Add(MeasureGemm(m, k, n, t, o.Reps));

        var models = rows.Select(r => r.Row(ceilings[r.Threads])).ToList();
        var machine = o.Threads.Select(t => new { threads = t, fma_peak_gflops = peaks[t], read_bandwidth_gbs = ceilings[t] }).ToList();
        string loadEnd = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        var report = new
        {
            started_utc = started.ToString("O", CultureInfo.InvariantCulture),
            commit = Train.BenchMachine.Git("rev-parse --short HEAD"),
            cpu = Train.BenchMachine.CpuName(),
            load_average_start = load,
            load_average_end = loadEnd,
            shape = o.Shape,
            config = new { config.Dim, config.HiddenDim, config.Layers, config.Heads, config.KvHeads, config.VocabSize },
            prompt_tokens = o.Prompt,
            generated_tokens = o.Gen,
            repetitions = o.Reps,
            machine,
            models,
            openblas = OpenBlas.Path ?? "not installed (apt-get install libopenblas0-pthread); GEMM has no reference",
            gemm,
        };
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(o.Out, "compare.json"), json);
        var markdown = Markdown(json);
        File.WriteAllText(Path.Combine(o.Out, "compare.md"), markdown);
        Console.WriteLine(markdown);
        return 0;
    }

    /// <summary>Times one file at one thread count; the row is made once the run's read ceiling is known.</summary>
    private static Func<double, object> MeasureModel(string path, GgufExportType type, int threads, int[] prompt, Options o)
    {
        using var pool = new WorkerPool(threads);
        using var hone = LlamaModel.LoadForInference(path).PackForInference(pool);
        using var session = hone.CreateSession(maxContext: Math.Max(prompt.Length + o.Gen, o.Tg) + 16, blockSize: prompt.Length, pool: pool);
        using var cpp = new LlamaCppRunner(path);
        var honeRuns = new List<RunTimes>();
        var cppRuns = new List<RunTimes>();
        var honeTg = new List<(double Wall, double Cpu)>();
        var cppTg = new List<(double Wall, double Cpu)>();

        // One untimed run each first: Hone's methods reach their optimised tier, both sides touch their buffers.
        TimeHone(session, prompt, Math.Min(8, o.Gen));
        cpp.Time(prompt, Math.Min(8, o.Gen), threads);
        if (o.Tg > 0)
        {
            TimeHoneTg(session, Math.Min(8, o.Tg));
            TimeCppTg(cpp, Math.Min(8, o.Tg), threads);
        }
        var spent = Stopwatch.StartNew();
        for (int rep = 0; rep < o.Reps && (rep == 0 || spent.Elapsed.TotalSeconds < o.RowBudget); rep++)
        {
            honeRuns.Add(TimeHone(session, prompt, o.Gen));
            cppRuns.Add(cpp.Time(prompt, o.Gen, threads));
            if (o.Tg > 0)
            {
                honeTg.Add(TimeHoneTg(session, o.Tg));
                cppTg.Add(TimeCppTg(cpp, o.Tg, threads));
            }
        }

        var h = RunTimes.Median(honeRuns);
        var c = RunTimes.Median(cppRuns);
        double hp = prompt.Length / h.PromptWall, hg = o.Gen / h.GenWall, cp = prompt.Length / c.PromptWall, cg = o.Gen / c.GenWall;
        long weightBytes = new FileInfo(path).Length;
        // Decode also reads the KV cache: every layer's keys and values at every position so far. Generated token i
        // attends over prompt + i + 1 positions, so the mean over the run is prompt + (gen + 1) / 2.
        var cfg = hone.Config;
        double kvPerPosition = (double)cfg.Layers * 2 * cfg.KvHeads * cfg.HeadDim * (session.CacheType == KvCacheType.F16 ? 2 : 4);
        double kvBytes = kvPerPosition * (prompt.Length + (o.Gen + 1) / 2.0);
        // tg: token i (from 0) attends over i + 1 positions, a mean of (tg + 1) / 2.
        double kvTg = kvPerPosition * (o.Tg + 1) / 2.0;
        double? ht = o.Tg > 0 ? o.Tg / Median(honeTg.Select(r => r.Wall)) : null, ct = o.Tg > 0 ? o.Tg / Median(cppTg.Select(r => r.Wall)) : null;
        double? tgCpuRatio = o.Tg > 0 ? Median(cppTg.Select(r => r.Cpu)) / Median(honeTg.Select(r => r.Cpu)) : null;
        Console.Error.WriteLine($"{type.Name()} {threads}t: prompt {hp:F0} vs {cp:F0} tok/s, generation {hg:F1} vs {cg:F1} tok/s (load {File.ReadAllText("/proc/loadavg").Trim()})");
        return ceiling => new
        {
            type = type.Name(),
            threads,
            repetitions = honeRuns.Count,
            file_bytes = weightBytes,
            hone_stored_matrices = hone.Weights.Stored.Count,
            hone_prompt_tps = hp,
            llamacpp_prompt_tps = cp,
            prompt_ratio = hp / cp,
            hone_gen_tps = hg,
            llamacpp_gen_tps = cg,
            gen_ratio = hg / cg,
            // CPU seconds of the whole process per token (all its threads, spinning included): on a loaded machine a
            // side that was descheduled loses wall time but not CPU time, so this ratio survives load better.
            gen_ratio_cpu_time = (c.GenCpu / o.Gen) / (h.GenCpu / o.Gen),
            prompt_ratio_cpu_time = c.PromptCpu / h.PromptCpu,
            hone_gen_read_gbs = weightBytes * hg / 1e9,
            llamacpp_gen_read_gbs = weightBytes * cg / 1e9,
            read_ceiling_gbs = ceiling,
            hone_gen_percent_of_ceiling = 100 * weightBytes * hg / 1e9 / ceiling,
            kv_cache_bytes_per_token = kvBytes,
            hone_gen_read_gbs_with_kv = (weightBytes + kvBytes) * hg / 1e9,
            hone_gen_percent_of_ceiling_with_kv = 100 * (weightBytes + kvBytes) * hg / 1e9 / ceiling,
            tg_tokens = o.Tg,
            hone_tg_tps = ht,
            llamacpp_tg_tps = ct,
            tg_ratio = ht / ct,
            tg_ratio_cpu_time = tgCpuRatio,
            hone_tg_read_gbs = weightBytes * ht / 1e9,
            llamacpp_tg_read_gbs = weightBytes * ct / 1e9,
            hone_tg_percent_of_ceiling = 100 * weightBytes * ht / 1e9 / ceiling,
            llamacpp_tg_percent_of_ceiling = 100 * weightBytes * ct / 1e9 / ceiling,
            kv_cache_bytes_per_token_tg = kvTg,
            hone_tg_percent_of_ceiling_with_kv = 100 * (weightBytes + kvTg) * ht / 1e9 / ceiling,
            llamacpp_tg_percent_of_ceiling_with_kv = 100 * (weightBytes + kvTg) * ct / 1e9 / ceiling,
        };
    }

    private static RunTimes TimeHone(LlamaSession session, int[] prompt, int gen)
    {
        session.Reset();
        var clock = RunTimes.Start();
        int next = LlamaCppRunner.ArgMax(session.Forward(prompt));
        var (promptWall, promptCpu) = clock.Lap();
        for (int i = 0; i < gen; i++) next = LlamaCppRunner.ArgMax(session.Forward(next));
        var (genWall, genCpu) = clock.Lap();
        return new RunTimes(promptWall, promptCpu, genWall, genCpu);
    }

    /// <summary>llama-bench's tg: <paramref name="gen"/> greedy tokens from an empty context, BOS first; wall and CPU seconds.</summary>
    private static (double Wall, double Cpu) TimeHoneTg(LlamaSession session, int gen)
    {
        session.Reset();
        var clock = RunTimes.Start();
        int next = 1;
        for (int i = 0; i < gen; i++) next = LlamaCppRunner.ArgMax(session.Forward(next));
        return clock.Lap();
    }

    /// <summary>The same for llama.cpp: BOS decoded alone as the "prompt", then gen - 1 greedy tokens, timed together.</summary>
    private static (double Wall, double Cpu) TimeCppTg(LlamaCppRunner cpp, int gen, int threads)
    {
        var r = cpp.Time([1], gen - 1, threads);
        return (r.PromptWall + r.GenWall, r.PromptCpu + r.GenCpu);
    }

    private static object MeasureGemm(int m, int k, int n, int threads, int reps)
    {
        var rng = new Random(1);
        float[] x = [.. Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f)];
        float[] w = [.. Enumerable.Range(0, n * k).Select(_ => (float)rng.NextDouble() - 0.5f)];
        float[] y = new float[m * n], yRef = new float[m * n];
        double flop = 2.0 * m * k * n;
        using var pool = new WorkerPool(threads);
        double Best(Action a)
        {
            a();
            double best = double.MaxValue;
            for (int i = 0; i < Math.Max(3, reps); i++)
            {
                var sw = Stopwatch.StartNew();
                a();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }

            return flop / best / 1e9;
        }

        double hone = Best(() => MatMul.XWt(x, w, default, y, m, k, n, pool));
        double? blas = null;
        double? maxDiff = null;
        if (OpenBlas.Path is not null)
        {
            OpenBlas.SetThreads(threads);
            blas = Best(() => OpenBlas.XWt(x, w, yRef, m, k, n));
            maxDiff = y.Zip(yRef).Max(p => Math.Abs(p.First - p.Second));
        }

        Console.Error.WriteLine($"gemm {m}x{k}x{n} {threads}t: {hone:F1} GFLOP/s vs OpenBLAS {(blas is { } b ? b.ToString("F1", CultureInfo.InvariantCulture) : "n/a")}");
        return new { m, k, n, threads, hone_gflops = hone, openblas_gflops = blas, ratio = blas is { } r ? hone / r : (double?)null, max_abs_diff = maxDiff };
    }

    internal static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
    }

    private static string Markdown(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        var sb = new StringBuilder();
        string F(JsonElement e, string name, string fmt = "F1") =>
            e.GetProperty(name).ValueKind == JsonValueKind.Null ? "n/a" : e.GetProperty(name).GetDouble().ToString(fmt, CultureInfo.InvariantCulture);
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Hone vs references ({r.GetProperty("shape").GetString()} Llama, commit {r.GetProperty("commit").GetString()})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"CPU: {r.GetProperty("cpu").GetString()}; load average at start `{r.GetProperty("load_average_start").GetString()}`, at end `{r.GetProperty("load_average_end").GetString()}`; {r.GetProperty("prompt_tokens").GetInt32()}-token prompt, {r.GetProperty("generated_tokens").GetInt32()} generated tokens, median of up to {r.GetProperty("repetitions").GetInt32()} runs (column runs) after a warm-up run.");
        sb.AppendLine();
        sb.AppendLine("| threads | FMA peak GFLOP/s | read bandwidth GB/s |");
        sb.AppendLine("|---:|---:|---:|");
        foreach (var m in r.GetProperty("machine").EnumerateArray())
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.GetProperty("threads").GetInt32()} | {F(m, "fma_peak_gflops", "F0")} | {F(m, "read_bandwidth_gbs")} |");
        sb.AppendLine();
        sb.AppendLine("| type | threads | runs | prompt Hone tok/s | llama.cpp | ratio | (by CPU time) | generation Hone tok/s | llama.cpp | ratio | (by CPU time) | Hone decode GB/s | % of read ceiling | with KV cache | llama.cpp GB/s |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in r.GetProperty("models").EnumerateArray())
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.GetProperty("type").GetString()} | {m.GetProperty("threads").GetInt32()} | {m.GetProperty("repetitions").GetInt32()} | {F(m, "hone_prompt_tps", "F0")} | {F(m, "llamacpp_prompt_tps", "F0")} | {F(m, "prompt_ratio", "F2")}× | {F(m, "prompt_ratio_cpu_time", "F2")}× | {F(m, "hone_gen_tps")} | {F(m, "llamacpp_gen_tps")} | {F(m, "gen_ratio", "F2")}× | {F(m, "gen_ratio_cpu_time", "F2")}× | {F(m, "hone_gen_read_gbs")} | {F(m, "hone_gen_percent_of_ceiling", "F0")}% | {F(m, "hone_gen_percent_of_ceiling_with_kv", "F0")}% | {F(m, "llamacpp_gen_read_gbs")} |");
        sb.AppendLine();
        if (r.GetProperty("models").EnumerateArray().Any(m => m.GetProperty("tg_tokens").GetInt32() > 0))
        {
            sb.AppendLine("llama-bench's tg: greedy generation from an empty context (BOS first, one token a step), same files, same runs:");
            sb.AppendLine();
            sb.AppendLine("| type | threads | tokens | Hone tok/s | llama.cpp | ratio | (by CPU time) | Hone GB/s | % of read ceiling | with KV cache | llama.cpp GB/s | % of read ceiling | with KV cache |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var m in r.GetProperty("models").EnumerateArray().Where(m => m.GetProperty("tg_tokens").GetInt32() > 0))
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.GetProperty("type").GetString()} | {m.GetProperty("threads").GetInt32()} | {m.GetProperty("tg_tokens").GetInt32()} | {F(m, "hone_tg_tps")} | {F(m, "llamacpp_tg_tps")} | {F(m, "tg_ratio", "F2")}× | {F(m, "tg_ratio_cpu_time", "F2")}× | {F(m, "hone_tg_read_gbs")} | {F(m, "hone_tg_percent_of_ceiling", "F0")}% | {F(m, "hone_tg_percent_of_ceiling_with_kv", "F0")}% | {F(m, "llamacpp_tg_read_gbs")} | {F(m, "llamacpp_tg_percent_of_ceiling", "F0")}% | {F(m, "llamacpp_tg_percent_of_ceiling_with_kv", "F0")}% |");
            sb.AppendLine();
        }

        sb.AppendLine("Decode GB/s = GGUF file bytes × generated tokens/s (every matrix, the tied classifier included, is read once per token); \"with KV cache\" adds the cache each token reads (layers × keys and values × positions so far, mean over the generated tokens); the read ceiling is the fastest read of the run at that thread count (table above: measured at the start and before each row). \"By CPU time\" ratios divide the process CPU seconds each side spent (all threads, spinning included): they survive a loaded machine better than wall-clock ratios.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"GEMM y = x·Wᵀ, OpenBLAS: {r.GetProperty("openblas").GetString()}");
        sb.AppendLine();
        sb.AppendLine("| m×k×n | threads | Hone GFLOP/s | OpenBLAS GFLOP/s | ratio |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var g in r.GetProperty("gemm").EnumerateArray())
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {g.GetProperty("m").GetInt32()}×{g.GetProperty("k").GetInt32()}×{g.GetProperty("n").GetInt32()} | {g.GetProperty("threads").GetInt32()} | {F(g, "hone_gflops")} | {F(g, "openblas_gflops")} | {F(g, "ratio", "F2")} |");
        return sb.ToString();
    }

    private static Options Parse(string[] args)
    {
        var map = BenchMachine.ParseOptions("compare", args, ["shape", "types", "threads", "prompt", "gen", "tg", "reps", "row-budget-s", "out"]);
        string shape = map.GetValueOrDefault("shape", "small");
        if (shape is not ("small" or "134m")) throw new ArgumentException("compare: --shape is small or 134m");
        var types = map.GetValueOrDefault("types", "f32,bf16,q8_0,q4_0,q4_k").Split(',').Select(t => GgufExportTypes.Parse(t) ?? throw new ArgumentException($"compare: unknown type {t}")).ToArray();
        var threads = BenchMachine.Ints(map.GetValueOrDefault("threads", "1,2"));
        bool big = shape == "134m";
        var tg = int.Parse(map.GetValueOrDefault("tg", "128"), CultureInfo.InvariantCulture);
        if (tg < 0) throw new ArgumentException("compare: --tg is a token count (0 leaves tg out)");
        return new Options(shape, types, threads,
            int.Parse(map.GetValueOrDefault("prompt", big ? "512" : "64"), CultureInfo.InvariantCulture),
            int.Parse(map.GetValueOrDefault("gen", big ? "32" : "16"), CultureInfo.InvariantCulture),
            tg,
            int.Parse(map.GetValueOrDefault("reps", "3"), CultureInfo.InvariantCulture),
            double.Parse(map.GetValueOrDefault("row-budget-s", "40"), CultureInfo.InvariantCulture),
            map.GetValueOrDefault("out", Path.Combine("artifacts", "bench", "compare")),
            big ? [(256, 768, 3072), (512, 2048, 2048)] : [(64, 256, 768)]);
    }
}
