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

    [Fact]
    public void Threads_out_of_range_are_refused_with_the_option_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataChecker(new DataCheckOptions { Threads = 0 }));
        Assert.Contains("threads", e.Message, StringComparison.Ordinal);
    }
}
