using System.Diagnostics;
using System.Globalization;
using Hone.Training.Demo;

namespace Hone.Bench.Train;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- demo-base [--threads 1,2] [--epochs N] [--batch N] [--lr X]
/// [--documents N] [--index-documents N] [--conversations N] [--reps 1] [--out DIR]</c>: builds the demo's built-in base
/// model (<see cref="DemoBaseModel.Build"/>, the default options with the ones given replaced) once per thread count,
/// fresh each time, and prints its wall and CPU time, steps and first/final loss, with the load average beside each figure.
/// </summary>
internal static class DemoBaseCommand
{
    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("demo-base", args, ["threads", "reps", "out", .. Names]);
        var threads = BenchMachine.Ints(map.GetValueOrDefault("threads", "1,2"));
        int reps = int.Parse(map.GetValueOrDefault("reps", "1"), CultureInfo.InvariantCulture);
        string outDir = map.GetValueOrDefault("out", Path.Combine("artifacts", "bench", "demo-base"));
        var options = Options(map, "");
        for (int rep = 0; rep < reps; rep++)
        {
            foreach (int t in threads)
            {
                string folder = Path.Combine(outDir, $"t{t}");
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                string load = BenchMachine.Load();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var info = DemoBaseModel.Build(options with { Threads = t }, folder);
                var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{t} threads: {info.Seconds:F1} s wall, {cpuUsed.TotalSeconds:F1} s CPU, {info.Steps} steps, {info.PretrainTokens} tokens, loss {info.FirstLoss:F3} -> {info.FinalLoss:F4} (load {load})"));
            }
        }

        return 0;
    }

    /// <summary>The base options each command takes (each given as --{prefix}name).</summary>
    public static IReadOnlyList<string> Names { get; } = ["epochs", "batch", "lr", "documents", "index-documents", "conversations"];

    /// <summary>
    /// The default base options with --{prefix}epochs, --{prefix}batch, --{prefix}lr and the corpus sizes
    /// (--{prefix}documents, --{prefix}index-documents, --{prefix}conversations) applied where given.
    /// </summary>
    public static DemoBaseModelOptions Options(Dictionary<string, string> map, string prefix)
    {
        var d = new DemoBaseModelOptions();
        int? Int(string name) => map.TryGetValue(prefix + name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;
        return d with
        {
            Epochs = Int("epochs") ?? d.Epochs,
            BatchSize = Int("batch") ?? d.BatchSize,
            LearningRate = map.TryGetValue(prefix + "lr", out var lr) ? double.Parse(lr, CultureInfo.InvariantCulture) : d.LearningRate,
            Documents = Int("documents") ?? d.Documents,
            IndexDocuments = Int("index-documents") ?? d.IndexDocuments,
            Conversations = Int("conversations") ?? d.Conversations,
        };
    }
}
