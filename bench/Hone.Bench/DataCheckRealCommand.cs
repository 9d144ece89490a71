using System.Diagnostics;
using System.Globalization;
using Hone.Bench.Train;
using Hone.Data.Checks;
using Hone.Data.Tokens;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- datacheck-real [--examples 1000000] [--near-dup yes|no]
/// [--counter real|estimate] [--threads 1,2] [--file PATH] [--report PATH]</c>: <c>hone data check</c> (<see cref="DataChecker"/>) on a large generated
/// chat file (written once under the temp folder, <see cref="DataCheckBench.Generate"/>, or <c>--file</c>) with real
/// tokenisation: Llama 2's SentencePiece tokenizer and Qwen2.5's chat template (tool definitions rendered), as
/// <c>--model</c> gives it, once per thread count (the same file). Prints MB/s in wall and CPU time, examples/s, the
/// process's peak working set, and the bytes allocated per input byte with the GC counts (steady under load, unlike times). <c>--report</c> writes the report as JSON (to compare the reports of two builds).
/// </summary>
internal static class DataCheckRealCommand
{
    /// <summary>The encoder of the real counter: Llama 2's SentencePiece tokenizer with Qwen2.5's chat template.</summary>
    internal static ChatEncoder RealEncoder()
    {
        var tokenizer = TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "Qwen-Qwen2.5-7B-Instruct.jinja")), "Qwen2.5");
        return ChatEncoder.Create(tokenizer, template, "Qwen2.5");
    }

    /// <summary><c>datacheck-gen --examples N --out PATH</c>: writes the generated file to PATH (for old-vs-new runs on one file).</summary>
    public static int Gen(string[] args)
    {
        var map = BenchMachine.ParseOptions("datacheck-gen", args, ["examples", "out"]);
        var (dir, path) = DataCheckBench.Generate(int.Parse(map.GetValueOrDefault("examples", "1000000"), CultureInfo.InvariantCulture));
        File.Move(path, map["out"], overwrite: true);
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("datacheck-real", args, ["examples", "near-dup", "counter", "threads", "file", "report"]);
        int examples = int.Parse(map.GetValueOrDefault("examples", "1000000"), CultureInfo.InvariantCulture);
        bool nearDup = map.GetValueOrDefault("near-dup", "yes") == "yes";
        bool real = map.GetValueOrDefault("counter", "real") == "real";
        var threads = BenchMachine.Ints(map.GetValueOrDefault("threads", "1,2"));
        string? dir = null;
        string path;
        if (map.TryGetValue("file", out var f))
        {
            path = f;
        }
        else
        {
            (dir, path) = DataCheckBench.Generate(examples);
        }

        try
        {
            ITokenCounter counter = new EstimatingTokenCounter();
            if (real)
            {
                counter = new ChatTemplateTokenCounter(RealEncoder(), "llama2-tokenizer+qwen2.5-template");
            }

            long bytes = new FileInfo(path).Length;
            foreach (int t in threads)
            {
                string load = BenchMachine.Load();
                double c0 = CpuTime.Process();
                long a0 = GC.GetTotalAllocatedBytes(precise: true);
                int g0 = GC.CollectionCount(0), g2 = GC.CollectionCount(2);
                var sw = Stopwatch.StartNew();
                var r = new DataChecker(new DataCheckOptions { FindNearDuplicates = nearDup, TokenCounter = counter, Threads = t }).Check(path);
                double s = sw.Elapsed.TotalSeconds, cpu = CpuTime.Process() - c0;
                double allocated = GC.GetTotalAllocatedBytes(precise: true) - a0;
                if (map.TryGetValue("report", out var reportPath))
                {
                    File.WriteAllText(reportPath, System.Text.Json.JsonSerializer.Serialize(r, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"data check, {t} thread(s) ({(real ? "real tokenisation" : "estimated tokens")}, near-duplicates {(nearDup ? "on" : "off")}): {r.Examples:N0} examples, {bytes / 1e6:F1} MB in {s:F1} s = {bytes / 1e6 / s:F1} MB/s wall, {bytes / 1e6 / cpu:F1} MB per CPU-s; {r.Examples / s:N0} examples/s; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB; allocated {allocated / bytes:F1} bytes per input byte, {GC.CollectionCount(0) - g0} gen0 / {GC.CollectionCount(2) - g2} gen2 GCs; {r.Errors} errors, {r.Warnings} warnings; load {load} → {BenchMachine.Load()}"));
            }

            return 0;
        }
        finally
        {
            if (dir is not null) Directory.Delete(dir, recursive: true);
        }
    }
}
