using Hone.Models.Chat;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Models.Tests.Chat;

/// <summary>LocalChatClient over stories260K (tok512.bin, built-in chatml template).</summary>
public sealed class LocalChatClientTests : IDisposable
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin");
    private readonly LocalChatClient _client = LocalChatClient.Load(Checkpoint, template: "chatml");

    private static List<ChatMessage> Story(string text = "Tell me a story about Lily.") => [new(ChatRole.User, text)];

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task SameSeed_SameText_DifferentSeed_DifferentText()
    {
        var options = new ChatOptions { Temperature = 1f, Seed = 42, MaxOutputTokens = 40 };
        var a = await _client.GetResponseAsync(Story(), options);
        var b = await _client.GetResponseAsync(Story(), options);
        var c = await _client.GetResponseAsync(Story(), new ChatOptions { Temperature = 1f, Seed = 7, MaxOutputTokens = 40 });
        Assert.False(string.IsNullOrEmpty(a.Text));
        Assert.Equal(a.Text, b.Text);
        Assert.NotEqual(a.Text, c.Text);
    }

    [Fact]
    public async Task TemperatureZero_EqualsGeneratorGreedy_ForTheSamePromptIds()
    {
        var options = new ChatOptions { Temperature = 0f, MaxOutputTokens = 48 };
        var response = await _client.GetResponseAsync(Story(), options);

        var ids = _client.EncodePrompt(Story(), options);
        Assert.Contains("<|im_start|>assistant", _client.Tokenizer.Decode(ids), StringComparison.Ordinal);
        using var model = LlamaModel.Load(Checkpoint);
        using var session = model.CreateSession();
        var expected = new Generator(session, t => _client.Tokenizer.Decode(t))
            .Generate(ids, new GenerationOptions { Sampling = SamplingOptions.Greedy, MaxNewTokens = 48 });

        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(ids.Length, response.Usage!.InputTokenCount);
        Assert.Equal(expected.TokenIds.Length, response.Usage.OutputTokenCount);
        Assert.Equal(expected.Reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task StopSequence_CutsTheTextBeforeIt()
    {
        var free = await _client.GetResponseAsync(Story(), new ChatOptions { Temperature = 0f, MaxOutputTokens = 60 });
        var words = free.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length > 6, free.Text);
        var stop = words[5];
        var stopped = await _client.GetResponseAsync(Story(), new ChatOptions { Temperature = 0f, MaxOutputTokens = 60, StopSequences = [stop] });

        int at = free.Text.IndexOf(stop, StringComparison.Ordinal);
        Assert.Equal(free.Text[..at], stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [Fact]
    public async Task MaxOutputTokens_GivesLengthAndThatManyTokens()
    {
        var r = await _client.GetResponseAsync(Story(), new ChatOptions { Temperature = 0f, MaxOutputTokens = 5 });
        Assert.Equal(ChatFinishReason.Length, r.FinishReason);
        Assert.Equal(5, r.Usage!.OutputTokenCount);
    }

    [Theory]
    [InlineData(0f, null)]
    [InlineData(0.9f, 3L)]
    public async Task Streaming_ConcatenatesToTheNonStreamingText(float temperature, long? seed)
    {
        var options = new ChatOptions { Temperature = temperature, Seed = seed, TopP = 0.95f, TopK = 40, MaxOutputTokens = 50, StopSequences = ["ball"] };
        var whole = await _client.GetResponseAsync(Story(), options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in _client.GetStreamingResponseAsync(Story(), options))
        {
            updates.Add(u);
        }

        Assert.True(updates.Count > 2);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(whole.FinishReason, updates[^1].FinishReason);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.Equal(whole.Usage!.OutputTokenCount, usage.Details.OutputTokenCount);
        var merged = updates.ToChatResponse();
        Assert.Equal(whole.Text, merged.Text);
    }

    [Fact]
    public async Task ConcurrentRequests_GiveTheSameTextAsSequentialOnes()
    {
        var options = new ChatOptions { Temperature = 0.8f, Seed = 11, MaxOutputTokens = 30 };
        var prompts = new[] { "Lily", "Tom and the dog", "A big red ball" };
        var sequential = new List<string>();
        foreach (var p in prompts)
        {
            sequential.Add((await _client.GetResponseAsync(Story(p), options)).Text);
        }

        var parallel = await Task.WhenAll(prompts.Select(p => _client.GetResponseAsync(Story(p), options)));
        Assert.Equal(sequential, parallel.Select(r => r.Text));
    }

    [Fact]
    public async Task JsonResponseFormat_IsFlagged()
    {
        var r = await _client.GetResponseAsync(Story(), new ChatOptions { Temperature = 0f, MaxOutputTokens = 10, ResponseFormat = ChatResponseFormat.Json });
        Assert.Equal(LocalChatClient.IsJson(r.Text), r.AdditionalProperties![LocalChatClient.JsonValidKey]);
        Assert.False((bool)r.AdditionalProperties[LocalChatClient.JsonValidKey]!); // a story is not JSON
        Assert.True(LocalChatClient.IsJson("{\"a\": [1, 2]}"));
    }

    [Fact]
    public async Task Tools_AreRenderedIntoThePrompt_WhenTheTemplateIgnoresThem()
    {
        var tool = AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Weather of a city");
        var options = new ChatOptions { Temperature = 0f, MaxOutputTokens = 8, Tools = [tool] };
        var text = _client.Tokenizer.Decode(_client.EncodePrompt(Story(), options));
        Assert.Contains("<tools>", text, StringComparison.Ordinal);
        Assert.Contains("get_weather", text, StringComparison.Ordinal);
        Assert.Contains("\"city\"", text, StringComparison.Ordinal);

        var history = new List<ChatMessage>
        {
            new(ChatRole.User, "weather in Paris?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_0", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_0", "sunny")]),
        };
        var rendered = _client.Tokenizer.Decode(_client.EncodePrompt(history, options));
        Assert.Contains("<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n</tool_call>", rendered, StringComparison.Ordinal);
        Assert.Contains("<tool_response>\nsunny\n</tool_response>", rendered, StringComparison.Ordinal);
        var none = _client.Tokenizer.Decode(_client.EncodePrompt(Story(), new ChatOptions { Tools = [tool], ToolMode = ChatToolMode.None }));
        Assert.DoesNotContain("get_weather", none, StringComparison.Ordinal);

        var r = await _client.GetResponseAsync(Story(), options);
        Assert.Equal(8, r.Usage!.OutputTokenCount);
    }

    [Fact]
    public void PromptTooLong_IsAContextOverflowError()
    {
        var longText = string.Concat(Enumerable.Repeat("Lily saw a big dog. ", 200));
        var e = Assert.Throws<ContextOverflowException>(() => _client.Complete(_client.EncodePrompt(Story(longText)), new ChatOptions { MaxOutputTokens = 10 }));
        Assert.Contains("context", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompleteText_EmptyPromptStartsFromBos_AndMatchesTheGoldenStart()
    {
        var golden = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")))
            .RootElement.GetProperty("text").GetString()!;
        var c = _client.CompleteText("", new ChatOptions { Temperature = 0f, MaxOutputTokens = 40 });
        Assert.Equal(1, c.PromptTokens);
        Assert.StartsWith(c.Text.TrimStart(), golden, StringComparison.Ordinal);
        Assert.True(c.Text.Trim().Length > 20);
    }
}
