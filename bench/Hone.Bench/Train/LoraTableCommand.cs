using System.Globalization;
using System.Text;
using System.Text.Json;
using Hone.Models.Benchmarks;

namespace Hone.Bench.Train;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- lora-table [--shapes 135m,0.5b,1b] [--threads 1,2] [--seq 512]
/// [--base f32,bf16] [--steps 2] [--warmup 1] [--out DIR]</c>: CPU LoRA training tokens/s (rank 8 on every linear layer,
/// AdamW, one row of <c>seq</c> tokens per step, every position trained) on random models of real shapes, 1 and 2
/// threads, over a float32 base and over the same base held in BF16 (<see cref="Hone.Models.Train.BF16Base"/>), as a
/// markdown table for the README and as JSON (lora-table.md, lora-table.json in <c>--out</c>, default
/// artifacts/bench/lora). Each model is made once and measured on every base type and thread count.
/// </summary>
internal static class LoraTableCommand
{
    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("lora-table", args, ["shapes", "threads", "base", "seq", "steps", "warmup", "out"]);
        var shapes = map.GetValueOrDefault("shapes", "135m,0.5b,1b").Split(',');
        var threads = BenchMachine.Ints(map.GetValueOrDefault("threads", "1,2"));
        var bases = map.GetValueOrDefault("base", "f32,bf16").Split(',').Select(TrainStepMeasure.ParseBase).ToArray();
        int seq = int.Parse(map.GetValueOrDefault("seq", "512"), CultureInfo.InvariantCulture);
        int steps = int.Parse(map.GetValueOrDefault("steps", "2"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(map.GetValueOrDefault("warmup", "1"), CultureInfo.InvariantCulture);
        string outDir = map.GetValueOrDefault("out", Path.Combine("artifacts", "bench", "lora"));
        Directory.CreateDirectory(outDir);
        string loadStart = BenchMachine.Load();
        string commit = BenchMachine.Git("rev-parse --short HEAD");
        Console.Error.WriteLine($"load average at start: {loadStart}");
        var rows = new List<object>();
        var started = DateTime.UtcNow;
        foreach (var shape in shapes)
        {
            var config = TrainShapes.Get(shape, Math.Max(seq, 16));
            using var model = ModelBenchmark.RandomModel(config);
            foreach (var baseType in bases)
            {
                foreach (int t in threads)
                {
                    string load = BenchMachine.Load();
                    var r = TrainStepMeasure.Run(model, shape, lora: true, t, seq, warmup, steps, baseType: baseType);
                    Console.Error.WriteLine($"{shape} {r.BaseType} {t}t: {r.TokensPerSecond:F1} tok/s, {seq / r.CpuSecondsPerStep:F1} tok per CPU-s, {r.TotalBytes / 1e9:F2} GB (load {load})");
                    rows.Add(new
                    {
                        shape, model = TrainShapes.Describe(shape), threads = t, base_type = r.BaseType, seq, steps,
                        tokens_per_second = r.TokensPerSecond, tokens_per_cpu_second = seq / r.CpuSecondsPerStep, step_seconds = r.StepSeconds,
                        distinct_parameters = r.DistinctParameters, trainable_parameters = r.TrainableParameters,
                        memory_bytes = r.TotalBytes, weight_bytes = r.WeightBytes, load_average = load,
                    });
                }
            }
        }

        var report = new
        {
            started_utc = started.ToString("O", CultureInfo.InvariantCulture), commit, cpu = BenchMachine.CpuName(),
            load_average_start = loadStart, load_average_end = BenchMachine.Load(),
            command = "dotnet run -c Release --project bench/Hone.Bench -- lora-table " + string.Join(' ', args), rows,
        };
        string json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(outDir, "lora-table.json"), json);
        string md = Markdown(json);
        File.WriteAllText(Path.Combine(outDir, "lora-table.md"), md);
        Console.WriteLine(md);
        return 0;
    }

    private static string Markdown(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"CPU LoRA training throughput: rank 8 on every linear layer (q, k, v, o, gate, up, down), AdamW, the frozen base in F32 or BF16 (adapters, gradients and Adam moments F32), one row of {r.GetProperty("rows")[0].GetProperty("seq").GetInt32()} tokens per step, every position trained; random weights of the named shapes. {r.GetProperty("cpu").GetString()}, commit {r.GetProperty("commit").GetString()}, load average `{r.GetProperty("load_average_start").GetString()}` at start, `{r.GetProperty("load_average_end").GetString()}` at end. \"per CPU-s\" is tokens per CPU-second of the process × threads: what the run reaches when its threads are not descheduled by other work.");
        sb.AppendLine();
        sb.AppendLine("| model | parameters | trainable | base | threads | tokens/s | tokens/s (CPU-time) | weights GB | memory GB |");
        sb.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (var x in r.GetProperty("rows").EnumerateArray())
        {
            int t = x.GetProperty("threads").GetInt32();
            sb.AppendLine(ci, $"| {x.GetProperty("model").GetString()} | {x.GetProperty("distinct_parameters").GetInt64() / 1e6:F0}M | {x.GetProperty("trainable_parameters").GetInt64() / 1e6:F2}M | {x.GetProperty("base_type").GetString()!.ToUpperInvariant()} | {t} | {x.GetProperty("tokens_per_second").GetDouble():F1} | {x.GetProperty("tokens_per_cpu_second").GetDouble() * t:F1} | {x.GetProperty("weight_bytes").GetInt64() / 1e9:F2} | {x.GetProperty("memory_bytes").GetInt64() / 1e9:F2} |");
        }

        sb.AppendLine();
        sb.AppendLine(ci, $"Made by `{r.GetProperty("command").GetString()}`.");
        return sb.ToString();
    }
}
