using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// The data check types a chat example straight from its element (<see cref="ExampleValidators.TypedChat{T}"/>) instead
/// of through the serializer: the messages, tools and errors must be those <see cref="OpenAiJson.FromElement{T}"/> gives.
/// </summary>
public class DirectTypedReadTests
{
    internal static readonly string[] Lines =
    [
        CheckHelper.Chat("plain question", "plain answer"),
        """{"messages":[{"role":"user","content":"hi","name":"ann"},{"role":"assistant","content":"yo","weight":0}]}""",
        """{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"http://x/y.png"}}]},{"role":"assistant","content":"b"}]}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1, \"b\": [1, 2.50]}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"assistant","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}}},"strict":true}}]}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1,\"a\":2}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}]}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"not json"}}]}],"tools":null}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"r"}],"functions":[{"name":"f"}]}""",
        """{"messages":[{"role":"user","content":"q","tool_call_id":"x","extra":{"deep":[1,{"k":null}]}},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"parallel_tool_calls":false}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"note":"kept"}""",
        """{"messages":[{"role":"user","content":"first"}],"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"last"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","weight":1.0}]}""",
        """{"messages":[{"role":"user","content":"q"},null,{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"tools":{"type":"function"}}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"tools":[{"type":"function","function":{"name":7}}]}""",
        """{"messages":[{"role":"user","content":3},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"","content":"q"},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"tool","content":[{"type":"text","text":"r"}]},{"role":"assistant","content":"\u00e9\ud83d\ude00 \\ \" \u2028"}]}""",
    ];

    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, Lines.Length)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Typed_straight_from_the_element_as_the_serializer_types_it(int index)
    {
        using var doc = JsonDocument.Parse(Lines[index]);
        Assert.Equal(Outcome(() => Serializer<ChatExample>(doc.RootElement, e => (e.Messages, e.Tools))),
            Outcome(() => ExampleValidators.TypedChat<ChatExample>(doc.RootElement, 7, direct: true, e => (e.Messages, e.Tools))));
        Assert.Equal(Outcome(() => Serializer<ReinforcementExample>(doc.RootElement, e => (e.Messages, e.Tools))),
            Outcome(() => ExampleValidators.TypedChat<ReinforcementExample>(doc.RootElement, 7, direct: true, e => (e.Messages, e.Tools))));
    }

    [Fact]
    public void The_drone_file_is_typed_alike()
    {
        foreach (var line in File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var expected = Outcome(() => Serializer<ChatExample>(doc.RootElement, e => (e.Messages, e.Tools)));
            Assert.StartsWith("[", expected, StringComparison.Ordinal);
            Assert.Equal(expected, Outcome(() => ExampleValidators.TypedChat<ChatExample>(doc.RootElement, 7, direct: true, e => (e.Messages, e.Tools))));
        }
    }

    [Fact]
    public void A_check_with_real_counts_reports_the_same_with_and_without_the_direct_read()
    {
        // The direct read is taken when the reader's depth cap is no deeper than the serializer's (64); at 65 every example
        // goes through the serializer. Nothing here is deeper than 64, so the reports must be equal, findings and counts.
        var counter = CheckHelper.QwenCounter();
        // The lines above that Qwen2.5's template renders (it fails on some shapes, e.g. an assistant turn without content).
        var renderable = Lines.Where(l =>
        {
            try
            {
                var e = OpenAiJson.ParseChat(l);
                counter.CountMessages(e.Messages, e.Tools);
                return true;
            }
            catch (Exception e) when (e is DataFormatException or ChatTemplateException or NullReferenceException)
            {
                return e is DataFormatException; // a line the serializer refuses is an error finding, never counted
            }
        }).ToList();
        Assert.True(renderable.Count >= 10, $"only {renderable.Count} lines");
        var drone = File.ReadAllLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl"));
        var lines = new List<string>();
        for (int i = 0; i < 400; i++)
        {
            lines.Add((i % 7) switch
            {
                0 => renderable[i % renderable.Count],
                1 => CheckHelper.Chat("same question", "same answer"),
                2 => drone[i % drone.Length],
                _ => CheckHelper.Chat($"question {i} about {i * 7 % 23}", $"answer {i % 5}"),
            });
        }
        var path = CheckHelper.Write(lines);
        string Run(int depth) => new DataChecker(new DataCheckOptions
        {
            TokenCounter = counter, Threads = 2, MaxFindingsPerCode = 1000, Reader = new JsonlReaderOptions { MaxDepth = depth },
        }).Check(path).ToJson();
        var direct = Run(64);
        Assert.Equal(Run(65), direct);
        Assert.Contains("data_type", direct, StringComparison.Ordinal);
    }

    private static (List<Microsoft.Extensions.AI.ChatMessage>, List<ToolDefinition>?) Serializer<T>(JsonElement root, Func<T, (List<Microsoft.Extensions.AI.ChatMessage>, List<ToolDefinition>?)> parts)
        where T : class => parts(OpenAiJson.FromElement<T>(root, "", 7));

    /// <summary>The messages and tools as JSON (what the token counter and the digest read), or the error's type and message.</summary>
    private static string Outcome(Func<(List<Microsoft.Extensions.AI.ChatMessage> Messages, List<ToolDefinition>? Tools)> read)
    {
        try
        {
            var (messages, tools) = read();
            return OpenAiChatWriter.ToJson(messages).ToJsonString() + "\n" + (tools is null ? "no tools" : JsonSerializer.Serialize(tools, OpenAiJson.Options))
                + "\n" + string.Join("|", messages.Select(m => ExampleValidators.Text([m])));
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }
}
