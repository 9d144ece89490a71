using System.Diagnostics;
using System.Globalization;
using Hone.App.Demo;
using Hone.Training.Demo;

namespace Hone.Bench.Train;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- demo-recipe [--seeds 1,2,3] [--base-shards 1,2] [--threads N]
/// [--base-epochs N] [--base-batch N] [--base-lr X] [--base-documents N] [--base-index-documents N]
/// [--base-conversations N] [--key-tokens yes|no (default: the demo's, no)] [--epochs N] [--lr-multiplier X] [--lora-rank N] [--examples N] [--reuse-base yes] [--out DIR]</c>: the robustness matrix of <c>hone demo</c>'s recipe. Runs the whole demo
/// (<see cref="DemoLoop"/>, the default recipe with the options given replaced) once per base-model shard count and
/// seed, each in a fresh workspace, and prints per cell the base model's final pretraining loss, the base and tuned
/// exact-match accuracy on the golden set, the golden score of each scored checkpoint, the scaling step (half → all,
/// gain with its 95% interval) and the phase times, with the load average. <c>--key-tokens yes</c> trains the rows of the task's JSON key tokens in the fine-tune (<see cref="DemoRequest.TrainKeyTokens"/>). <c>--reuse-base yes</c> keeps each cell's built
/// base model between invocations (the demo reuses a base built with the same options), to try fine-tune settings.
/// </summary>
internal static class DemoRecipeCommand
{
    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("demo-recipe", args,
            ["seeds", "base-shards", "threads", "epochs", "lr-multiplier", "lora-rank", "examples", "reuse-base", "key-tokens", "out", .. DemoBaseCommand.Names.Select(n => "base-" + n)]);
        var seeds = BenchMachine.Ints(map.GetValueOrDefault("seeds", "1,2,3"));
        var shards = BenchMachine.Ints(map.GetValueOrDefault("base-shards", "1,2"));
        int threads = int.Parse(map.GetValueOrDefault("threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        bool reuseBase = map.GetValueOrDefault("reuse-base", "no") is "yes" or "true" or "1";
        bool keyTokens = map.TryGetValue("key-tokens", out var kt) ? kt is "yes" or "true" or "1" : new DemoRequest().TrainKeyTokens;
        string outDir = Path.GetFullPath(map.GetValueOrDefault("out", Path.Combine("artifacts", "bench", "demo-recipe")));
        var baseOptions = DemoBaseCommand.Options(map, "base-");
        int? epochs = map.TryGetValue("epochs", out var ep) ? int.Parse(ep, CultureInfo.InvariantCulture) : null;
        double? lrMult = map.TryGetValue("lr-multiplier", out var lm) ? double.Parse(lm, CultureInfo.InvariantCulture) : null;
        int? examples = map.TryGetValue("examples", out var ex) ? int.Parse(ex, CultureInfo.InvariantCulture) : null;
        int rank = map.TryGetValue("lora-rank", out var rk) ? int.Parse(rk, CultureInfo.InvariantCulture) : new DemoRequest().LoraRank;

        Console.WriteLine($"demo-recipe: base {System.Text.Json.Nodes.JsonNode.Parse(baseOptions.ToJson())!.ToJsonString()}; fine-tune epochs {epochs?.ToString(CultureInfo.InvariantCulture) ?? "default"}, " +
            $"lr multiplier {lrMult?.ToString(CultureInfo.InvariantCulture) ?? "default"}, rank {rank}, key tokens {(keyTokens ? "trained" : "frozen")}, examples {examples?.ToString(CultureInfo.InvariantCulture) ?? "default"}, {threads} threads");
        Console.WriteLine("seed shards | base loss | base acc | tuned acc (fields) | checkpoints (epoch:acc) | scaling half -> all (gain [95%]) | base s | tune s | scale s | total s | load");
        var tuned = new List<double>();
        foreach (int k in shards)
        {
            foreach (int seed in seeds)
            {
                var folder = Path.Combine(outDir, $"seed{seed}-shards{k}");
                Clear(folder, reuseBase);
                string load = BenchMachine.Load();
                var request = new DemoRequest
                {
                    Folder = folder, Seed = seed, Threads = threads, Epochs = epochs, LrMultiplier = lrMult, Examples = examples, LoraRank = rank, TrainKeyTokens = keyTokens,
                    BaseOptions = baseOptions with { DataParallel = k },
                };
                var clock = Stopwatch.StartNew();
                var r = DemoLoop.RunAsync(request).GetAwaiter().GetResult();
                clock.Stop();
                if (!r.Completed || r.Before is null || r.After is null || r.FineTune is null || r.Scaling is null)
                {
                    Console.WriteLine($"{seed} {k} | the demo stopped before training");
                    continue;
                }
                tuned.Add(r.After.Accuracy);
                var s = r.Seconds;
                var checkpoints = string.Join(' ', r.FineTune.GoldenScores.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Epoch}:{g.Accuracy:P0}")));
                var half = r.Scaling.Rungs[0].Accuracy;
                var all = r.Scaling.Rungs[^1].Accuracy;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{seed,4} {k,6} | {r.BaseModel?.PretrainLossFinal,9:F4} | {r.Before.Accuracy,8:P1} | {r.After.Accuracy,9:P1} ({r.After.FieldMean:P0}) | {checkpoints} | " +
                    $"{half:P0} -> {all:P0} ({r.Scaling.GainPerDoubling:+0.0%;-0.0%} [{r.Scaling.GainLow:+0%;-0%}, {r.Scaling.GainHigh:+0%;-0%}]) | " +
                    $"{s.GetValueOrDefault("base_model"):F1} | {s.GetValueOrDefault("fine_tune"):F1} | {s.GetValueOrDefault("scaling"):F1} | {clock.Elapsed.TotalSeconds:F1} | {load}"));
            }
        }

        if (tuned.Count > 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tuned accuracy: min {tuned.Min():P1}, mean {tuned.Average():P1}, max {tuned.Max():P1} over {tuned.Count} cells"));
        return 0;
    }

    /// <summary>Empties a cell's workspace (all of it, or all but its built models).</summary>
    private static void Clear(string folder, bool keepModels)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var d in Directory.EnumerateDirectories(folder))
            if (!(keepModels && Path.GetFileName(d) == "models")) Directory.Delete(d, recursive: true);
        foreach (var f in Directory.EnumerateFiles(folder)) File.Delete(f);
    }
}
