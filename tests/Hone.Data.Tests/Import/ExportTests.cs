using System.Text.Json;
using Hone.Data.Export;
using Hone.Data.Import;
using Hone.Data.Import.Json;
using Hone.Data.Model;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Import;

public class ExportTests
{
    private static string ImportAgNews(string dir)
    {
        var path = Path.Combine(dir, "ag.jsonl");
        Importers.Import(CsvImportTests.AgNewsOptions(path));
        return path;
    }

    [Fact]
    public void Chat_to_prompt_completion_and_reinforcement()
    {
        var dir = TestAssets.NewTempDir();
        var chat = ImportAgNews(dir);
        var before = File.ReadAllBytes(chat);
        var pcPath = Path.Combine(dir, "pc.jsonl");
        var r = Exporter.Export(new ExportOptions { InputPath = chat, OutputPath = pcPath, To = DataKind.PromptCompletion });
        Assert.Equal(DataKind.Sft, r.From);
        Assert.Equal(2000, r.Exported);
        var first = OpenAiJson.ParsePromptCompletion(File.ReadAllLines(pcPath)[0]);
        Assert.StartsWith("System: Classify the news article", first.Prompt, StringComparison.Ordinal);
        Assert.Contains("\n\nUser: Title: World Briefings\n\n", first.Prompt, StringComparison.Ordinal);
        Assert.EndsWith("\n\nAssistant:", first.Prompt, StringComparison.Ordinal);
        Assert.Equal("World", first.Completion);

        var rftPath = Path.Combine(dir, "rft.jsonl");
        Assert.Equal(2000, Exporter.Export(new ExportOptions { InputPath = chat, OutputPath = rftPath, To = DataKind.Rft }).Exported);
        var item = OpenAiJson.ParseReinforcement(File.ReadAllLines(rftPath)[0]);
        Assert.Equal(ChatRole.User, item.Messages[^1].Role);
        Assert.Equal("World", item.Extra!["reference_answer"].GetString());
        Assert.Equal(before, File.ReadAllBytes(chat));

        // prompt/completion → chat round trip: a lone user turn.
        var back = Path.Combine(dir, "back.jsonl");
        Exporter.Export(new ExportOptions { InputPath = pcPath, OutputPath = back, To = DataKind.Sft });
        var e = OpenAiJson.ParseChat(File.ReadAllLines(back)[0]);
        Assert.Equal([ChatRole.User, ChatRole.Assistant], e.Messages.Select(m => m.Role));
        Assert.Equal(first.Prompt, e.Messages[0].ContentText());
    }

    [Fact]
    public void Preference_to_chat_trains_on_the_preferred_output()
    {
        var dir = TestAssets.NewTempDir();
        var dpo = Path.Combine(dir, "dpo.jsonl");
        Importers.Import(new ShareGptPreferenceImportOptions { InputPath = TestAssets.Path("datasets", "llama-factory-demo", "dpo_en_demo.json"), OutputPath = dpo });
        var sft = Path.Combine(dir, "sft.jsonl");
        var r = Exporter.Export(new ExportOptions { InputPath = dpo, OutputPath = sft, To = DataKind.Sft });
        Assert.Equal(300, r.Exported);
        var pair = OpenAiJson.ParsePreference(File.ReadAllLines(dpo)[5]);
        var chat = OpenAiJson.ParseChat(File.ReadAllLines(sft)[5]);
        Assert.Equal(pair.Input.Messages.Count + 1, chat.Messages.Count);
        Assert.Equal(pair.PreferredOutput[0].ContentText(), chat.Messages[^1].ContentText());
    }

    [Fact]
    public void Unsupported_conversions_are_refused_with_the_reason_and_nothing_is_written()
    {
        var dir = TestAssets.NewTempDir();
        var chat = Path.Combine(dir, "c.jsonl");
        File.WriteAllText(chat, """{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}""" + "\n");
        var output = Path.Combine(dir, "o.jsonl");
        var e = Assert.Throws<ArgumentException>(() => Exporter.Export(new ExportOptions { InputPath = chat, OutputPath = output, To = DataKind.Dpo }));
        Assert.Contains("cannot convert sft to dpo", e.Message, StringComparison.Ordinal);
        Assert.Contains("rejected answer", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Throws<ArgumentException>(() => Exporter.Export(new ExportOptions { InputPath = chat, OutputPath = output, From = DataKind.Rft, To = DataKind.Sft }));
        Assert.Throws<ArgumentException>(() => Exporter.Export(new ExportOptions { InputPath = chat, OutputPath = chat, To = DataKind.Sft }));
    }

    [Fact]
    public void Records_that_cannot_convert_are_listed_with_their_line()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "c.jsonl");
        File.WriteAllText(input,
            """{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}""" + "\n" +
            """{"messages": [{"role": "user", "content": "w?"}, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}""" + "\n" +
            "[1, 2]\n" +
            """{"messages": [{"role": "user", "content": "only a question"}]}""" + "\n");
        var output = Path.Combine(dir, "o.jsonl");
        var options = new ExportOptions { InputPath = input, OutputPath = output, From = DataKind.Sft, To = DataKind.PromptCompletion };
        Assert.Contains(input + ":2:", Assert.Throws<InvalidRecordsException>(() => Exporter.Export(options)).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        var r = Exporter.Export(options with { SkipInvalid = true });
        Assert.Equal(1, r.Exported);
        Assert.Equal([2L, 3L, 4L], r.Problems.Select(p => p.Line!.Value));
        Assert.Contains("tool calls", r.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("no assistant turn", r.Problems[2].Message, StringComparison.Ordinal);
        var pc = OpenAiJson.ParsePromptCompletion(File.ReadAllLines(output).Single());
        Assert.Equal(("a", "b"), (pc.Prompt, pc.Completion));
    }

    [Fact]
    public void Same_kind_export_normalises_and_keeps_extra_keys()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "r.jsonl");
        File.WriteAllText(input, """{ "messages" : [ {"role":"user","content":"q"} ], "answer": 42 }""" + "\r\n");
        var output = Path.Combine(dir, "o.jsonl");
        var r = Exporter.Export(new ExportOptions { InputPath = input, OutputPath = output, To = DataKind.Rft });
        Assert.Equal(DataKind.Rft, r.From);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(42, doc.RootElement.GetProperty("answer").GetInt32());
    }
}

public class ExportMixedKindTests
{
    [Fact]
    public void A_record_of_another_kind_is_a_problem_not_junk_output()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "mixed.jsonl");
        File.WriteAllText(input,
            """{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}""" + "\n" +
            """{"input": {"messages": [{"role": "user", "content": "a"}]}, "preferred_output": [{"role": "assistant", "content": "b"}], "non_preferred_output": [{"role": "assistant", "content": "c"}]}""" + "\n");
        var output = Path.Combine(dir, "o.jsonl");
        var r = Exporter.Export(new ExportOptions { InputPath = input, OutputPath = output, To = DataKind.Sft, SkipInvalid = true });
        Assert.Equal(1, r.Exported);
        Assert.Equal(2L, Assert.Single(r.Problems).Line);
        Assert.Contains("mix kinds", r.Problems[0].Message, StringComparison.Ordinal);
    }
}

public class KindNameTests
{
    [Theory]
    [InlineData("sft", DataKind.Sft)]
    [InlineData("Chat", DataKind.Sft)]
    [InlineData("dpo", DataKind.Dpo)]
    [InlineData("rft", DataKind.Rft)]
    [InlineData("prompt-completion", DataKind.PromptCompletion)]
    public void Kind_names_parse(string name, DataKind kind)
    {
        Assert.Equal(kind, ExampleConversions.ParseKind(name));
        Assert.Equal(kind, ExampleConversions.ParseKind(ExampleConversions.Name(kind)));
    }

    [Fact]
    public void Unknown_kind_lists_the_known_ones() =>
        Assert.Contains("sft, dpo, rft or prompt-completion", Assert.Throws<ArgumentException>(() => ExampleConversions.ParseKind("kto")).Message, StringComparison.Ordinal);
}
