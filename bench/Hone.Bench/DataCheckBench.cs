using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Hone.Data.Checks;

namespace Hone.Bench;

/// <summary>
/// Throughput of <c>hone data check</c> (<see cref="DataChecker"/>) on a generated, deterministic 100,000-example chat
/// SFT file: examples/s and MB/s. Run: <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*DataCheck*'</c>,
/// or the one-shot timing <c>... -- datacheck</c> handled by <see cref="RunOnce"/>.
/// </summary>
[MemoryDiagnoser]
public class DataCheckBench
{
    /// <summary>Examples in the generated file.</summary>
    public const int Examples = 100_000;

    private string _dir = "";
    private string _path = "";

    /// <summary>Whether near-duplicate search runs (it dominates memory).</summary>
    [Params(true, false)]
    public bool NearDuplicates { get; set; }

    /// <summary>Writes the file once.</summary>
    [GlobalSetup]
    public void Setup() => (_dir, _path) = Generate(Examples);

    /// <summary>Removes the temp folder.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>One full check.</summary>
    /// <summary>Reference in the same run: read every line and parse it as JSON, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public long ReadAndParseOnly()
    {
        long n = 0;
        foreach (var line in File.ReadLines(_path))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object) n++;
        }
        return n;
    }

    [Benchmark]
    public long Check() => new DataChecker(new DataCheckOptions { FindNearDuplicates = NearDuplicates }).Check(_path).ValidExamples;

    /// <summary>Generates <paramref name="n"/> chat examples (seeded), a few with tool calls, in a fresh temp folder.</summary>
    public static (string Dir, string Path) Generate(int n)
    {
        var dir = Path.Combine(Path.GetTempPath(), "hone-bench-datacheck-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "train.jsonl");
        var rng = new Random(1234);
        string[] words = ["order", "refund", "shipping", "account", "password", "invoice", "delivery", "late", "broken", "help",
            "please", "my", "the", "is", "not", "working", "since", "yesterday", "where", "how", "can", "I", "change", "cancel"];
        string[] labels = ["billing", "shipping", "account", "technical", "other"];
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        for (var i = 0; i < n; i++)
        {
            var sb = new StringBuilder();
            var len = 8 + rng.Next(40);
            for (var k = 0; k < len; k++) sb.Append(words[rng.Next(words.Length)]).Append(' ');
            sb.Append("ticket ").Append(i);
            var label = labels[rng.Next(labels.Length)];
            if (i % 10 == 0)
            {
                w.WriteLine("{\"messages\":[{\"role\":\"system\",\"content\":\"You route support tickets.\"},{\"role\":\"user\",\"content\":\"" + sb
                    + "\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_" + i + "\",\"type\":\"function\",\"function\":{\"name\":\"route\",\"arguments\":\"{\\\"queue\\\": \\\"" + label
                    + "\\\"}\"}}]}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"route\",\"parameters\":{\"type\":\"object\",\"properties\":{\"queue\":{\"type\":\"string\"}}}}}]}");
            }
            else
            {
                w.WriteLine($$"""{"messages":[{"role":"system","content":"You route support tickets."},{"role":"user","content":"{{sb}}"},{"role":"assistant","content":"{{label}}"}]}""");
            }
        }
        return (dir, path);
    }

    /// <summary>One timed run (no BenchmarkDotNet), printing examples/s and MB/s.</summary>
    public static void RunOnce(bool nearDuplicates)
    {
        var (dir, path) = Generate(Examples);
        try
        {
            var bytes = new FileInfo(path).Length;
            var sw = Stopwatch.StartNew();
            var r = new DataChecker(new DataCheckOptions { FindNearDuplicates = nearDuplicates }).Check(path);
            sw.Stop();
            var s = sw.Elapsed.TotalSeconds;
            Console.WriteLine($"data check: {r.Examples:N0} examples, {bytes / 1e6:F1} MB, near-dup {(nearDuplicates ? "on" : "off")}: {s:F2} s, {r.Examples / s:N0} examples/s, {bytes / 1e6 / s:F1} MB/s; errors {r.Errors}, warnings {r.Warnings}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
