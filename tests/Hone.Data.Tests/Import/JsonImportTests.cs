using System.Text.Json;
using Hone.Data.Import;
using Hone.Data.Import.Json;
using Hone.Data.Model;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Import;

public class JsonImportTests
{
    private static string Demo(string file) => TestAssets.Path("datasets", "llama-factory-demo", file);

    private static string Out() => Path.Combine(TestAssets.NewTempDir(), "out.jsonl");

    [Fact]
    public void Glaive_toolcall_demo_becomes_chat_with_tools_and_answered_tool_calls()
    {
        var output = Out();
        var result = Importers.Import(new ShareGptImportOptions { InputPath = Demo("glaive_toolcall_en_demo.json"), OutputPath = output });
        Assert.Equal(300, result.Imported);
        Assert.Equal(0, result.ProblemCount);
        var examples = File.ReadAllLines(output).Select(l => OpenAiJson.ParseChat(l)).ToList();

        // Independent count from the raw file: every function_call turn becomes one call; every observation one tool message.
        using var raw = JsonDocument.Parse(File.ReadAllText(Demo("glaive_toolcall_en_demo.json")));
        var turns = raw.RootElement.EnumerateArray().SelectMany(r => r.GetProperty("conversations").EnumerateArray()).ToList();
        var rawCalls = turns.Count(t => t.GetProperty("from").GetString() == "function_call");
        var rawObs = turns.Count(t => t.GetProperty("from").GetString() == "observation");
        Assert.Equal(rawCalls, examples.Sum(e => e.Messages.Sum(m => m.Contents.OfType<FunctionCallContent>().Count())));
        Assert.Equal(rawObs, examples.Sum(e => e.Messages.Count(m => m.Role == ChatRole.Tool)));

        foreach (var e in examples)
        {
            var ids = e.Messages.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).Select(c => c.CallId).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            foreach (var tool in e.Messages.Where(m => m.Role == ChatRole.Tool)) Assert.Contains(tool.Contents.OfType<FunctionResultContent>().Single().CallId, ids);
            foreach (var call in e.Messages.SelectMany(m => m.Contents.OfType<FunctionCallContent>()))
            {
                Assert.Null(call.Exception); // arguments are a JSON string holding an object
                using var args = JsonDocument.Parse(OpenAiChatWriter.ArgumentsText(call));
                Assert.Equal(JsonValueKind.Object, args.RootElement.ValueKind);
                Assert.Contains(call.Name, e.Tools!.Select(t => t.Function.Name));
            }
        }
        var withCall = examples.First(e => e.Messages.Any(m => m.Contents.Any(c => c is FunctionCallContent)));
        var callMsg = withCall.Messages.First(m => m.Contents.Any(c => c is FunctionCallContent));
        Assert.Equal(ChatRole.Assistant, callMsg.Role);
        Assert.DoesNotContain(callMsg.Contents, c => c is TextContent); // no content key
        Assert.Equal(ChatRole.Tool, withCall.Messages[withCall.Messages.IndexOf(callMsg) + 1].Role);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_lone_surrogate_escape_skips_its_record_with_a_problem_instead_of_crashing(bool array)
    {
        // Issue 18 item 11: "\ud800" in a JSON array record threw InvalidOperationException (exit 3).
        string Record(string user) => $$"""{"conversations":[{"from":"human","value":"{{user}}"},{"from":"gpt","value":"ok"}]}""";
        string[] records = [Record("hi \\ud800 there"), Record("fine \\ud83d\\ude00"), Record("plain")];
        var input = Path.Combine(TestAssets.NewTempDir(), array ? "in.json" : "in.jsonl");
        File.WriteAllText(input, array ? "[" + string.Join(",\n", records) + "]" : string.Join("\n", records) + "\n");
        var output = Out();
        // Without --skip-invalid the bad record refuses the import and nothing is written (item 10).
        var refused = Assert.Throws<InvalidRecordsException>(() => Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output }));
        Assert.Contains("surrogate", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        var result = Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output, SkipInvalid = true });
        Assert.Equal(2, result.Imported);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(1, problem.Record);
        Assert.Contains("surrogate", problem.Message, StringComparison.Ordinal);
        Assert.Equal("fine 😀", OpenAiJson.ParseChat(File.ReadLines(output).First()).Messages[0].ContentText());
    }

    [Fact]
    public void Dpo_demo_becomes_preference_pairs()
    {
        var output = Out();
        var result = Importers.Import(new ShareGptPreferenceImportOptions { InputPath = Demo("dpo_en_demo.json"), OutputPath = output });
        Assert.Equal(300, result.Imported + result.ProblemCount);
        Assert.Equal(300, result.Imported);
        var pairs = File.ReadAllLines(output).Select(l => OpenAiJson.ParsePreference(l)).ToList();
        using var raw = JsonDocument.Parse(File.ReadAllText(Demo("dpo_en_demo.json")));
        var first = raw.RootElement[0];
        Assert.Equal(first.GetProperty("chosen").GetProperty("value").GetString(), pairs[0].PreferredOutput.Single().ContentText());
        Assert.Equal(first.GetProperty("rejected").GetProperty("value").GetString(), pairs[0].NonPreferredOutput.Single().ContentText());
        Assert.All(pairs, p =>
        {
            Assert.Equal(ChatRole.User, p.Input.Messages[^1].Role);
            Assert.Equal(ChatRole.Assistant, p.PreferredOutput.Single().Role);
        });
    }

    [Fact]
    public void Kto_demo_keeps_desirable_rows_only()
    {
        var output = Out();
        var result = Importers.Import(new KtoImportOptions { InputPath = Demo("kto_en_demo.json"), OutputPath = output });
        using var raw = JsonDocument.Parse(File.ReadAllText(Demo("kto_en_demo.json")));
        var good = raw.RootElement.EnumerateArray().Count(r => r.GetProperty("label").GetBoolean());
        Assert.Equal(good, result.Imported);
        Assert.Equal(300 - good, result.Skipped);
        Assert.Equal(0, result.ProblemCount);
        Assert.All(File.ReadAllLines(output).Select(l => OpenAiJson.ParseChat(l)), e => Assert.Equal(ChatRole.Assistant, e.Messages[^1].Role));
    }

    [Fact]
    public void Alpaca_with_input_system_and_history()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "a.json");
        File.WriteAllText(input, """
            [
              {"instruction": "Translate", "input": "chat", "output": "cat", "system": "You translate French.", "history": [["Bonjour?", "Hello?"]]},
              {"instruction": "Say hi", "output": "hi"},
              {"instruction": "no output"},
              42
            ]
            """);
        var output = Path.Combine(dir, "out.jsonl");
        var result = Importers.Import(new AlpacaImportOptions { InputPath = input, OutputPath = output, SkipInvalid = true });
        Assert.Equal(2, result.Imported);
        Assert.Equal([3L, 4L], result.Problems.Select(p => p.Record));
        Assert.Contains("$.output is missing", result.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("record 4", result.Problems[1].Message, StringComparison.Ordinal);
        var e = OpenAiJson.ParseChat(File.ReadAllLines(output)[0]);
        Assert.Equal(["system:You translate French.", "user:Bonjour?", "assistant:Hello?", "user:Translate\nchat", "assistant:cat"],
            e.Messages.Select(m => m.Role + ":" + m.ContentText()));
    }

    [Fact]
    public void ShareGpt_jsonl_reports_bad_lines_by_line_number()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "s.jsonl");
        File.WriteAllText(input,
            """{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}], "system": "Be nice."}""" + "\n" +
            "{not json\n" +
            "\n" +
            """{"conversations": [{"from": "robot", "value": "x"}]}""" + "\n" +
            """{"conversations": [{"from": "human", "value": "q"}, {"from": "observation", "value": "r"}]}""" + "\n");
        var output = Path.Combine(dir, "out.jsonl");
        var refused = Assert.Throws<InvalidRecordsException>(() => Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output }));
        Assert.Equal(3, refused.ProblemCount);
        Assert.Contains(input + ":2:", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--skip-invalid", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output)); // refused: nothing written
        var result = Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output, SkipInvalid = true });
        Assert.Equal(1, result.Imported);
        Assert.Equal([2L, 4L, 5L], result.Problems.Select(p => p.Line!.Value));
        Assert.Contains("'robot'", result.Problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("no function call", result.Problems[2].Message, StringComparison.Ordinal);
        var e = OpenAiJson.ParseChat(File.ReadAllLines(output).Single());
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant], e.Messages.Select(m => m.Role));
    }

    [Fact]
    public void Parallel_calls_pair_with_a_list_observation()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "p.json");
        File.WriteAllText(input, """
            [{"conversations": [
              {"from": "human", "value": "weather in A and B"},
              {"from": "function_call", "value": "[{\"name\": \"w\", \"arguments\": {\"city\": \"A\"}}, {\"name\": \"w\", \"arguments\": {\"city\": \"B\"}}]"},
              {"from": "observation", "value": "[{\"t\": 1}, {\"t\": 2}]"},
              {"from": "gpt", "value": "A 1, B 2"}],
              "tools": [{"name": "w", "parameters": {"type": "object"}}]}]
            """);
        var output = Path.Combine(dir, "out.jsonl");
        Assert.Equal(1, Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output }).Imported);
        var e = OpenAiJson.ParseChat(File.ReadAllLines(output).Single());
        var calls = e.Messages[1].Contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(["call_1_1", "call_1_2"], calls.Select(c => c.CallId));
        Assert.Equal("""{"city": "A"}""", OpenAiChatWriter.ArgumentsText(calls[0]));
        Assert.Equal([("call_1_1", """{"t": 1}"""), ("call_1_2", """{"t": 2}""")],
            e.Messages.Where(m => m.Role == ChatRole.Tool).Select(m => (m.Contents.OfType<FunctionResultContent>().Single().CallId, m.ContentText())));
        Assert.Equal("w", e.Tools!.Single().Function.Name);
    }

    [Fact]
    public void Hf_prompt_chosen_rejected_in_string_message_and_conversation_forms()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "h.jsonl");
        File.WriteAllText(input,
            """{"prompt": "2+2?", "chosen": "4", "rejected": "5"}""" + "\n" +
            """{"prompt": [{"role": "user", "content": "Capital of France?"}], "chosen": [{"role": "assistant", "content": "Paris"}], "rejected": [{"role": "assistant", "content": "Lyon"}]}""" + "\n" +
            """{"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Go away."}]}""" + "\n" +
            """{"prompt": "x", "chosen": "y"}""" + "\n");
        var output = Path.Combine(dir, "out.jsonl");
        var result = Importers.Import(new PreferenceImportOptions { InputPath = input, OutputPath = output, SkipInvalid = true });
        Assert.Equal(3, result.Imported);
        Assert.Equal(4L, Assert.Single(result.Problems).Line);
        Assert.Contains("$.rejected is missing", result.Problems[0].Message, StringComparison.Ordinal);
        var pairs = File.ReadAllLines(output).Select(l => OpenAiJson.ParsePreference(l)).ToList();
        Assert.Equal(["2+2?", "Capital of France?", "Hi"], pairs.Select(p => p.Input.Messages.Single().ContentText()));
        Assert.Equal(["4", "Paris", "Hello!"], pairs.Select(p => p.PreferredOutput.Single().ContentText()));
        Assert.Equal(["5", "Lyon", "Go away."], pairs.Select(p => p.NonPreferredOutput.Single().ContentText()));
    }

    [Fact]
    public void Truncated_json_array_throws_with_position_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "t.json");
        File.WriteAllText(input, "[{\"instruction\": \"a\", \"output\": \"b\"},\n {\"instruction\": ");
        var output = Path.Combine(dir, "out.jsonl");
        var e = Assert.Throws<DataFormatException>(() => Importers.Import(new AlpacaImportOptions { InputPath = input, OutputPath = output }));
        Assert.StartsWith(input + ":2:", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}

public class OpenAiStyleShareGptTests
{
    [Fact]
    public void Messages_with_role_and_content_import_through_the_sharegpt_tags()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "o.json");
        File.WriteAllText(input, """
            [{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}, {"role": "assistant", "content": "A"}], "tools": "[]"}]
            """);
        var output = Path.Combine(dir, "out.jsonl");
        var tags = new ShareGptTags { MessagesKey = "messages", RoleKey = "role", ContentKey = "content", UserTag = "user", AssistantTag = "assistant" };
        Assert.Equal(1, Importers.Import(new ShareGptImportOptions { InputPath = input, OutputPath = output, Tags = tags }).Imported);
        var e = OpenAiJson.ParseChat(File.ReadAllLines(output).Single());
        Assert.Equal(["system:S", "user:U", "assistant:A"], e.Messages.Select(m => m.Role + ":" + m.ContentText()));
        Assert.Null(e.Tools);
    }

    [Fact]
    public void Input_over_the_size_cap_is_refused_before_reading()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "big.json");
        File.WriteAllText(input, "[" + string.Join(",", Enumerable.Repeat("""{"instruction": "a", "output": "b"}""", 100)) + "]");
        var e = Assert.Throws<ArgumentException>(() => Importers.Import(new AlpacaImportOptions { InputPath = input, OutputPath = Path.Combine(dir, "o.jsonl"), MaxInputBytes = 100 }));
        Assert.Contains("over the 100-byte limit", e.Message, StringComparison.Ordinal);
    }
}
