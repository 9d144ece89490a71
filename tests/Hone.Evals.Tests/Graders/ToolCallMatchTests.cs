using System.Text.Json;
using Hone.Evals.Graders;

namespace Hone.Evals.Tests.Graders;

public class ToolCallMatchTests
{
    private static readonly IGrader Grader = G.Yaml("""
        type: tool_call_match
        name: tools
        reference: "{{item.expected}}"
        """);

    private const string Item = """
        {"expected": [
          {"name": "set_speed", "arguments": {"speed": 10, "unit": "mph"}},
          {"type": "function", "function": {"name": "land", "arguments": "{\"location\": \"home\"}"}}
        ]}
        """;

    [Fact]
    public void Right_calls_pass_in_any_order_with_any_key_order()
    {
        var r = G.Grade(Grader, G.Ctx(Item, "",
            new ToolCall("land", """{ "location" : "home" }"""),
            new ToolCall("set_speed", """{"unit": "mph", "speed": 10.0}""")));
        G.AssertPass(r);
        Assert.Equal(1, r.Score);
    }

    [Fact]
    public void Wrong_arguments_earn_half_a_call()
    {
        // set_speed: name 0.5 + args 0; land: 1 -> 1.5 / 2
        var r = G.Grade(Grader, G.Ctx(Item, "",
            new ToolCall("set_speed", """{"speed": 12, "unit": "mph"}"""),
            new ToolCall("land", """{"location": "home"}""")));
        G.AssertFail(r);
        Assert.Equal(0.75, r.Score, 12);
        Assert.Equal(1, r.FieldScores["calls[0].name"]);
        Assert.Equal(0, r.FieldScores["calls[0].arguments"]);
    }

    [Fact]
    public void Missing_and_extra_calls_both_cost()
    {
        // only land made: 1 / max(2, 1)
        Assert.Equal(0.5, G.Grade(Grader, G.Ctx(Item, "", new ToolCall("land", """{"location": "home"}"""))).Score, 12);
        // both right plus an extra: 2 / 3
        var extra = G.Grade(Grader, G.Ctx(Item, "",
            new ToolCall("set_speed", """{"speed": 10, "unit": "mph"}"""),
            new ToolCall("land", """{"location": "home"}"""),
            new ToolCall("take_photo", "{}")));
        Assert.Equal(2.0 / 3, extra.Score, 12);
        G.AssertFail(G.Grade(Grader, G.Ctx(Item, "no tools")));
        // nothing expected, nothing made
        G.AssertPass(G.Grade(Grader, G.Ctx("""{"expected": []}""", "plain answer")));
    }

    [Fact]
    public void Ordered_matching_pairs_calls_by_position()
    {
        var ordered = G.Yaml("type: tool_call_match\nreference: \"{{item.expected}}\"\nordered: true");
        var r = G.Grade(ordered, G.Ctx(Item, "",
            new ToolCall("land", """{"location": "home"}"""),
            new ToolCall("set_speed", """{"speed": 10, "unit": "mph"}""")));
        Assert.Equal(0, r.Score);
    }

    [Fact]
    public void Unparseable_model_arguments_are_a_parse_error()
    {
        var r = G.Grade(Grader, G.Ctx(Item, "", new ToolCall("set_speed", """{"speed": 10,""")));
        G.AssertError(r, GradeErrorKind.ParseError);
        Assert.Contains("set_speed", r.Error, StringComparison.Ordinal);
        G.AssertError(G.Grade(Grader, G.Ctx("{}", "")), GradeErrorKind.MissingField);
    }

    [Fact]
    public void Drone_set_right_and_wrong_calls_are_scored_correctly()
    {
        // Golden items from the cookbook's drone set; the expected call is the assistant's tool call.
        var g = G.Yaml("type: tool_call_match\nreference: \"{{item.messages[2].tool_calls}}\"");
        int rows = 0;
        foreach (var line in File.ReadLines(Hone.Testing.TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")))
        {
            var item = JsonDocument.Parse(line).RootElement;
            var fn = item.GetProperty("messages")[2].GetProperty("tool_calls")[0].GetProperty("function");
            var name = fn.GetProperty("name").GetString()!;
            var args = JsonDocument.Parse(fn.GetProperty("arguments").GetString()!).RootElement;
            // right: the same call, keys reversed and re-serialised
            var reordered = "{" + string.Join(", ", args.EnumerateObject().Reverse().Select(p => $"\"{p.Name}\": {p.Value.GetRawText()}")) + "}";
            var right = G.Grade(g, new GradeContext(item, new GradeSample("", [new ToolCall(name, reordered)])));
            G.AssertPass(right);
            // wrong function: nothing earned
            var wrongName = G.Grade(g, new GradeContext(item, new GradeSample("", [new ToolCall(name + "_x", reordered)])));
            Assert.Equal(0, wrongName.Score);
            // wrong arguments: half
            var wrongArgs = G.Grade(g, new GradeContext(item, new GradeSample("", [new ToolCall(name, """{"bogus": true}""")])));
            Assert.Equal(0.5, wrongArgs.Score, 12);
            G.AssertFail(wrongArgs);
            rows++;
        }
        Assert.Equal(103, rows);
    }
}

public class ChatResponseSampleTests
{
    [Fact]
    public void A_scripted_chat_response_becomes_a_sample_with_text_and_tool_calls()
    {
        var msg = new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant,
        [
            new Microsoft.Extensions.AI.TextContent("Taking off."),
            new Microsoft.Extensions.AI.FunctionCallContent("call_7", "takeoff_drone", new Dictionary<string, object?> { ["altitude"] = 100, ["mode"] = "safe" }),
        ]);
        var sample = GradeSample.FromChatResponse(new Microsoft.Extensions.AI.ChatResponse(msg));
        Assert.Equal("Taking off.", sample.OutputText);
        var call = Assert.Single(sample.OutputTools);
        Assert.Equal("takeoff_drone", call.Name);
        Assert.Equal("call_7", call.Id);
        var g = G.Yaml("type: tool_call_match\nreference: '{{item.expected}}'");
        var item = System.Text.Json.JsonDocument.Parse("""{"expected": {"name": "takeoff_drone", "arguments": "{\"mode\": \"safe\", \"altitude\": 100}"}}""").RootElement;
        G.AssertPass(G.Grade(g, new GradeContext(item, sample)));
        var wrong = System.Text.Json.JsonDocument.Parse("""{"expected": {"name": "takeoff_drone", "arguments": {"altitude": 50, "mode": "safe"}}}""").RootElement;
        Assert.Equal(0.5, G.Grade(g, new GradeContext(wrong, sample)).Score, 12);
    }
}

/// <summary>
/// The drone golden set through a plain scripted IChatClient: for each case the provider answers with the right call
/// on even rows and a wrong one (other function, or altered arguments) on odd rows; the grader must tell them apart.
/// </summary>
public class DroneScriptedProviderTests
{
    private sealed class ScriptedToolClient(Func<int, Microsoft.Extensions.AI.ChatResponse> answer) : Microsoft.Extensions.AI.IChatClient
    {
        private int _calls;

        public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(answer(_calls++));

        public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Right_and_wrong_scripted_calls_are_graded_correctly()
    {
        var rows = File.ReadLines(Hone.Testing.TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        static (string Name, System.Text.Json.JsonElement Args) Expected(System.Text.Json.JsonElement row)
        {
            var fn = row.GetProperty("messages")[2].GetProperty("tool_calls")[0].GetProperty("function");
            return (fn.GetProperty("name").GetString()!, System.Text.Json.JsonDocument.Parse(fn.GetProperty("arguments").GetString()!).RootElement);
        }
        var client = new ScriptedToolClient(i =>
        {
            var (name, args) = Expected(rows[i]);
            var dict = args.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);
            if (i % 2 == 1)
            {
                if (dict.Count > 0) dict[dict.Keys.First()] = "tampered";
                else name = "reject_request_x";
            }
            return new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant,
                [new Microsoft.Extensions.AI.FunctionCallContent($"call_{i}", name, dict)]));
        });
        var grader = G.Yaml("type: tool_call_match\nreference: '{{item.messages[2].tool_calls}}'");
        int right = 0, wrong = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var prompt = rows[i].GetProperty("messages")[1].GetProperty("content").GetString()!;
            var response = await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, prompt)]);
            var result = await grader.GradeAsync(new GradeContext(rows[i], GradeSample.FromChatResponse(response)), CancellationToken.None);
            Assert.False(result.IsError, result.Error);
            if (i % 2 == 0)
            {
                Assert.True(result.Pass, $"row {i}: the right call failed: {result.Detail}");
                right++;
            }
            else
            {
                Assert.False(result.Pass, $"row {i}: a wrong call passed");
                Assert.True(result.Score < 1);
                wrong++;
            }
        }
        Assert.Equal(52, right);
        Assert.Equal(51, wrong);
    }
}
