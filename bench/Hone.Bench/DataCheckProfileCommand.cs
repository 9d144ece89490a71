using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Bench.Train;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Data.Similarity;
using Hone.Data.Tokens;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- datacheck-profile --file PATH [--limit N]</c>: where the time
/// of <c>hone data check</c> with real tokenisation goes, one stage at a time on one thread over the same examples:
/// reading and parsing the JSONL, typing the examples, the whole real counter (first, cold: JIT and caches), messages
/// to JSON nodes, template render, tokenisation (with and without offsets), and the near-duplicate index (add, finish). Prints CPU seconds (the process's, GC included), MB per CPU-second and bytes allocated per example each.
/// </summary>
internal static class DataCheckProfileCommand
{
    public static int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("datacheck-profile", args, ["file", "limit"]);
        var path = map["file"];
        int limit = int.Parse(map.GetValueOrDefault("limit", "1000000000"), CultureInfo.InvariantCulture);
        var encoder = DataCheckRealCommand.RealEncoder();
        var (tokenizer, template) = (encoder.Tokenizer, encoder.Template);
        var counter = new ChatTemplateTokenCounter(encoder, "llama2+qwen2.5");
        Console.WriteLine($"load {BenchMachine.Load()}");

        var sw = new CpuLap();
        var roots = new List<JsonElement>();
        long bytes;
        using (var reader = JsonlReader.Open(path))
        {
            foreach (var line in reader.ReadLines())
            {
                if (line.Root is { } r) roots.Add(r.Clone());
                if (roots.Count >= limit) break;
            }
            bytes = reader.BytesRead;
        }
        void Report(string stage, double s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage,-40} {s,7:F2} s  {bytes / 1e6 / s,8:F1} MB/cpu-s  {sw.AllocatedSinceRestart / (double)roots.Count,9:N0} B allocated per example"));
        Report("read + parse + clone", sw.Seconds);

        sw.Restart();
        var examples = roots.ConvertAll(r => OpenAiJson.FromElement<ChatExample>(r));
        Report("typed examples (FromElement)", sw.Seconds);

        sw.Restart();
        long counted = 0;
        foreach (var e in examples) counted += counter.CountMessages(e.Messages, e.Tools);
        Report("real counter, cold (nodes, render, count)", sw.Seconds);

        sw.Restart();
        var nodes = examples.ConvertAll(e => (e.Messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList(),
            e.Tools is { Count: > 0 } t ? JsonSerializer.SerializeToNode(t, OpenAiJson.Options) : null));
        Report("messages to JSON nodes", sw.Seconds);

        sw.Restart();
        var texts = nodes.ConvertAll(n => template.Render(new ChatRenderInput { Messages = n.Item1, Tools = n.Item2, BosToken = encoder.BosToken, EosToken = encoder.EosToken }).Text);
        Report("template render", sw.Seconds);

        sw.Restart();
        long ids = 0;
        foreach (var t in texts) ids += tokenizer.EncodeWithOffsets(t, false, true).Ids.Length;
        Report("tokenise with offsets", sw.Seconds);

        sw.Restart();
        long ids2 = 0;
        foreach (var t in texts) ids2 += tokenizer.Encode(t, false, true).Length;
        Report("tokenise ids only", sw.Seconds);

        sw.Restart();
        using (var near = new NearDuplicateIndex())
        {
            foreach (var e in examples) near.Add(string.Join("\n", e.Messages.Select(m => m.Text)));
            Report("near-duplicate index add", sw.Seconds);
            sw.Restart();
            var result = near.Finish();
            Report($"near-duplicate finish ({result.Pairs.Count} pairs)", sw.Seconds);
        }
        Console.WriteLine($"{roots.Count} examples, {ids} tokens ({ids2}, counter {counted}); load {BenchMachine.Load()}");
        return 0;
    }
}

/// <summary>Process CPU seconds and allocated bytes since the last <see cref="Restart"/>.</summary>
internal sealed class CpuLap
{
    private double _start = CpuTime.Process();
    private long _allocated = GC.GetTotalAllocatedBytes(precise: true);

    public double Seconds => CpuTime.Process() - _start;

    /// <summary>Bytes the process allocated since the last <see cref="Restart"/>.</summary>
    public long AllocatedSinceRestart => GC.GetTotalAllocatedBytes(precise: true) - _allocated;

    public void Restart()
    {
        _start = CpuTime.Process();
        _allocated = GC.GetTotalAllocatedBytes(precise: true);
    }
}
