using System.Text.Json;
using Hone.Prompting.Bake;
using Hone.Prompting.Files;

namespace Hone.Prompting.Tests.Bake;

public class DataBakerTests
{
    [Fact]
    public void Writes_the_system_prompt_and_few_shot_into_every_example_and_never_touches_the_input()
    {
        var t = new TestFiles();
        var prompt = PromptFileReader.Load(t.Write("p.yaml", "system: \"Classify {{ lang | default('en') }} headlines.\"\nfew_shot:\n  - {user: Stocks fall, assistant: Business}\n"));
        var data = t.Write("train.jsonl", """
            {"messages": [{"role": "system", "content": "old"}, {"role": "user", "content": "Goal!"}, {"role": "assistant", "content": "Sports"}], "id": 1}
            {"messages": [{"role": "user", "content": "Vote"}, {"role": "assistant", "content": "World"}], "lang": "fr"}
            {"messages": [{"role": "system", "content": "Classify en headlines."}, {"role": "user", "content": "Chip"}, {"role": "assistant", "content": "Sci/Tech"}]}
            """);
        var original = File.ReadAllText(data);
        var r = DataBaker.Bake(new BakeRequest(prompt, data, Path.Combine(t.Dir, "out.jsonl")));
        Assert.Equal(original, File.ReadAllText(data));
        Assert.Equal((3, 1, 1, 1, 6), (r.Examples, r.SystemReplaced, r.SystemAdded, r.SystemUnchanged, r.FewShotTurnsAdded));
        Assert.Equal(("old", "Classify en headlines."), (r.ExampleBefore, r.ExampleAfter));
        var lines = File.ReadAllLines(r.OutPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], lines[0].GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(1, lines[0].GetProperty("id").GetInt32());                           // other keys kept
        Assert.Equal("Classify fr headlines.", lines[1].GetProperty("messages")[0].GetProperty("content").GetString()); // rendered per example
        Assert.Equal("Goal!", lines[0].GetProperty("messages")[3].GetProperty("content").GetString());
    }

    [Fact]
    public void A_bad_line_writes_nothing_and_names_file_and_line()
    {
        var t = new TestFiles();
        var prompt = PromptFileReader.Load(t.Write("p.yaml", "system: Be brief.\n"));
        var data = t.Write("train.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n{\"prompt\": \"x\"}\n");
        var outPath = Path.Combine(t.Dir, "out.jsonl");
        var e = Assert.Throws<InvalidDataException>(() => DataBaker.Bake(new BakeRequest(prompt, data, outPath)));
        Assert.StartsWith($"{data}:2:", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
        Assert.Throws<ArgumentException>(() => DataBaker.Bake(new BakeRequest(prompt, data, data)));
        var needsField = PromptFileReader.Load(t.Write("q.yaml", "system: \"For {{ team }}\"\n"));
        var pe = Assert.Throws<PromptFileException>(() => DataBaker.Bake(new BakeRequest(needsField, data, outPath)));
        Assert.Contains("'team'", pe.Message, StringComparison.Ordinal);
        Assert.Contains("train.jsonl:1", pe.Message, StringComparison.Ordinal);
    }
}
