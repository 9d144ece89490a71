using System.Diagnostics;
using System.Globalization;
using Hone.Training.Demo;

namespace Hone.Bench.Train;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- demo-base [--threads 1,2] [--epochs N] [--batch N] [--lr X]
/// [--reps 1] [--out DIR]</c>: builds the demo's built-in base model (<see cref="DemoBaseModel.Build"/>, the default
/// options with the ones given replaced) once per thread count, fresh each time, and prints its wall and CPU time, steps
/// and first/final loss, with the load average beside each figure.
/// </summary>
internal static class DemoBaseCommand
{
    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("demo-base", args, ["threads", "epochs", "batch", "lr", "reps", "out"]);
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

    /// <summary>The default base options with --{prefix}epochs, --{prefix}batch and --{prefix}lr applied where given.</summary>
    public static DemoBaseModelOptions Options(Dictionary<string, string> map, string prefix)
    {
        var options = new DemoBaseModelOptions();
        if (map.TryGetValue(prefix + "epochs", out var e)) options = options with { Epochs = int.Parse(e, CultureInfo.InvariantCulture) };
        if (map.TryGetValue(prefix + "batch", out var b)) options = options with { BatchSize = int.Parse(b, CultureInfo.InvariantCulture) };
        if (map.TryGetValue(prefix + "lr", out var lr)) options = options with { LearningRate = double.Parse(lr, CultureInfo.InvariantCulture) };
        return options;
    }
}
