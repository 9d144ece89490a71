using Hone.Data.Checks;
using Hone.Testing;

namespace Hone.Data.Tests.Checks;

public class ParallelCheckTests
{
    [Fact]
    public void Checking_on_several_threads_writes_the_report_one_thread_writes()
    {
        // Over several batches of the checker (256 lines each): clean lines, duplicates, broken JSON, wrong types, CRLF,
        // an over-limit example, and the real drone file's tool-calling lines; findings capped per code, so their order counts.
        var drone = File.ReadAllLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl"));
        var lines = new List<string>();
        for (int i = 0; i < 1300; i++)
        {
            lines.Add((i % 13) switch
            {
                0 => "{\"messages\": [",
                1 => CheckHelper.Chat("same question", "same answer"),
                2 => """{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":7}]}""",
                3 => CheckHelper.Chat("crlf line " + i, "answer " + i) + "\r",
                4 => CheckHelper.Chat(string.Join(' ', Enumerable.Repeat("long", 300 + i)), "answer"),
                5 => drone[i % drone.Length],
                _ => CheckHelper.Chat($"question {i} about {i * 7 % 23}", $"answer {i % 5}"),
            });
        }

        var path = CheckHelper.Write(lines);
        DataCheckReport Run(int threads) => new DataChecker(new DataCheckOptions { Threads = threads, ContextLimit = 500, MaxFindingsPerCode = 40 }).Check(path);
        var one = Run(1);
        var four = Run(4);
        Assert.True(one.Errors > 0 && one.Warnings > 0 && one.FindingsTruncated);
        Assert.Equal(1300, one.Lines);
        Assert.Equal(one.ToJson(), four.ToJson());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Lines_parsed_on_the_workers_get_the_findings_the_reader_gives(int threads)
    {
        // Lines before the first object are parsed on the reading thread (the first object names the kind); every later
        // line travels as bytes and is parsed on a worker. Each line's reader findings must be those JsonlReader.ReadLines
        // gives it, wherever it was parsed, and the objects counted the same.
        var lines = new List<string> { "\uFEFF{\"messages\": [", "", "[1, 2]" };
        for (int i = 0; i < 700; i++)
        {
            lines.Add((i % 11) switch
            {
                0 => "{\"messages\": [",
                1 => "",
                2 => "\"a string\"",
                3 => CheckHelper.Chat("crlf " + i, "answer") + "\r",
                4 => CheckHelper.Chat(new string('x', 600), "too long for the cap"),
                5 => CheckHelper.Chat("lone \\ud800 half " + i, "answer"),
                _ => CheckHelper.Chat($"question {i}", $"answer {i % 4}"),
            });
        }
        var path = CheckHelper.Write(lines);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 3).ToArray()); // a truncated last line, no newline
        var reader = new Hone.Data.Jsonl.JsonlReaderOptions { MaxLineBytes = 400 };

        var expected = new List<DataFinding>();
        long objects = 0;
        using (var r = Hone.Data.Jsonl.JsonlReader.Open(path, reader))
        {
            foreach (var line in r.ReadLines())
            {
                expected.AddRange(line.Findings);
                if (line.Root is not null) objects++;
            }
        }

        var report = new DataChecker(new DataCheckOptions { Threads = threads, Reader = reader, MaxFindingsPerCode = 100_000, FindNearDuplicates = false }).Check(path);
        var fromReader = report.Findings.Where(f => f.Message.StartsWith(path + ":", StringComparison.Ordinal)).ToList();
        Assert.True(expected.Count > 300, $"only {expected.Count} reader findings");
        Assert.Equal(objects, report.Examples);
        Assert.Equal(Key(expected), Key(fromReader));

        static List<string> Key(IEnumerable<DataFinding> f) =>
            [.. f.Select(x => $"{x.Line}|{x.Column}|{x.Code}|{x.Severity}|{x.Path}|{x.Message}|{x.Fix}").Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void Threads_out_of_range_are_refused_with_the_option_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataChecker(new DataCheckOptions { Threads = 0 }));
        Assert.Contains("threads", e.Message, StringComparison.Ordinal);
    }
}
