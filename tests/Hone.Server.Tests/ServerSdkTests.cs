#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using MeaiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using MeaiChatOptions = Microsoft.Extensions.AI.ChatOptions;
using MeaiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Hone.Server.Tests;

/// <summary>hone serve driven by the official OpenAI .NET SDK over loopback.</summary>
public sealed class ServerSdkTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _f;

    public ServerSdkTests(ServerFixture fixture) => _f = fixture;

    private static ChatMessage[] Story => [new SystemChatMessage("You tell stories."), new UserChatMessage("Tell me a story about Lily.")];

    [Fact]
    public async Task Acceptance_SameSeed_SdkThroughServer_EqualsInProcessClient()
    {
        var sdk = await _f.Chat().CompleteChatAsync(Story, new ChatCompletionOptions { Temperature = 0.9f, Seed = 1234, MaxOutputTokenCount = 60, TopP = 0.95f });
        var local = await _f.Local.GetResponseAsync(
            [new MeaiChatMessage(MeaiChatRole.System, "You tell stories."), new MeaiChatMessage(MeaiChatRole.User, "Tell me a story about Lily.")],
            new MeaiChatOptions { Temperature = 0.9f, Seed = 1234, MaxOutputTokens = 60, TopP = 0.95f });

        Assert.False(string.IsNullOrEmpty(local.Text));
        Assert.Equal(local.Text, sdk.Value.Content[0].Text);
        Assert.Equal(local.Usage!.InputTokenCount, sdk.Value.Usage.InputTokenCount);
        Assert.Equal(local.Usage.OutputTokenCount, sdk.Value.Usage.OutputTokenCount);
        Assert.Equal(_f.Server.ModelId, sdk.Value.Model);
        var again = await _f.Chat().CompleteChatAsync(Story, new ChatCompletionOptions { Temperature = 0.9f, Seed = 1234, MaxOutputTokenCount = 60, TopP = 0.95f });
        Assert.Equal(sdk.Value.Content[0].Text, again.Value.Content[0].Text);
    }

    [Fact]
    public async Task Chat_MaxTokensAndStop_FinishReasons()
    {
        var length = await _f.Chat().CompleteChatAsync(Story, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 7 });
        Assert.Equal(ChatFinishReason.Length, length.Value.FinishReason);
        Assert.Equal(7, length.Value.Usage.OutputTokenCount);
        Assert.Equal(ChatMessageRole.Assistant, length.Value.Role);

        var free = (await _f.Chat().CompleteChatAsync(Story, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 50 })).Value.Content[0].Text;
        var stop = free.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 50 };
        options.StopSequences.Add(stop);
        var stopped = await _f.Chat().CompleteChatAsync(Story, options);
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], stopped.Value.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.Value.FinishReason);
    }

    [Fact]
    public async Task Streaming_ConcatenatesToTheNonStreamingText_WithUsage()
    {
        var options = new ChatCompletionOptions { Temperature = 0.8f, Seed = 5, MaxOutputTokenCount = 40 };
        var whole = await _f.Chat().CompleteChatAsync(Story, options);
        var text = new StringBuilder();
        int updates = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var u in _f.Chat().CompleteChatStreamingAsync(Story, options))
        {
            updates++;
            foreach (var part in u.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= u.FinishReason;
            usage ??= u.Usage;
        }

        Assert.True(updates > 3);
        Assert.Equal(whole.Value.Content[0].Text, text.ToString());
        Assert.Equal(whole.Value.FinishReason, finish);
        Assert.NotNull(usage);
        Assert.Equal(whole.Value.Usage.OutputTokenCount, usage.OutputTokenCount);
    }

    [Fact]
    public async Task RawSse_EndsWithDone_AndNChoicesDiffer()
    {
        using var http = _f.Http();
        var body = $$"""{"model":"{{_f.Server.ModelId}}","messages":[{"role":"user","content":"Lily"}],"max_tokens":12,"seed":3,"n":2,"stream":true,"temperature":1}""";
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        string Text(int i) => string.Concat(chunks.Select(c => c.GetProperty("choices")[0]).Where(c => c.GetProperty("index").GetInt32() == i)
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.NotEqual(Text(0), Text(1));
        Assert.Equal(2, chunks.Count(c => c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String));
    }

    [Fact]
    public async Task Models_And_Completions()
    {
        using var http = _f.Http();
        using var models = JsonDocument.Parse(await http.GetStringAsync("v1/models"));
        Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
        Assert.Equal(_f.Server.ModelId, models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());

        var body = $$"""{"model":"{{_f.Server.ModelId}}","prompt":"","max_tokens":30,"temperature":0}""";
        using var response = await http.PostAsync("v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var text = doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var golden = JsonDocument.Parse(File.ReadAllText(Hone.Testing.TestAssets.Path("models", "stories260K", "golden_greedy_256.json"))).RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith(text.TrimStart(), golden, StringComparison.Ordinal);
        Assert.Equal("length", doc.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(30, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Auth_MissingOrWrongKey_Is401()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => _f.Chat(key: "nope").CompleteChatAsync(Story));
        Assert.Equal(401, e.Status);
        using var http = _f.Http(key: null);
        using var response = await http.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_api_key", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("{not json", 400, null)]
    [InlineData("[1,2]", 400, null)]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", 400, "model")]
    [InlineData("""{"model":"MODEL","messages":[]}""", 400, "messages")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"wizard","content":"x"}]}""", 400, "messages[0].role")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"temperature":7}""", 400, "temperature")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"max_tokens":0}""", 400, "max_tokens")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"n":99}""", 400, "n")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"nope"}}}""", 400, "tool_choice")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}""", 400, "response_format")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", 400, "messages[0].content")]
    [InlineData("""{"model":"MODEL","messages":[{"role":"user","content":"x"}],"max_tokens":100000}""", 400, "messages")]
    [InlineData("""{"model":"other-model","messages":[{"role":"user","content":"x"}]}""", 404, "model")]
    public async Task InvalidRequests_GetOpenAiErrors_AndTheServerStaysUp(string body, int status, string? param)
    {
        using var http = _f.Http();
        using var response = await http.PostAsync("v1/chat/completions",
            new StringContent(body.Replace("MODEL", _f.Server.ModelId, StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }

        var ok = await _f.Chat().CompleteChatAsync(Story, new ChatCompletionOptions { MaxOutputTokenCount = 3 });
        Assert.Equal(3, ok.Value.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task UnknownRoute_Is404_InOpenAiShape()
    {
        using var http = _f.Http();
        using var response = await http.GetAsync("v1/engines");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unknown_url", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Tools_Accepted_ToolHistoryRoundTrips_AndJsonFormatIsFlagged()
    {
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather of a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 10, Tools = { tool }, ToolChoice = ChatToolChoice.CreateAutoChoice() };
        ChatMessage[] history =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_1", "sunny"),
        ];
        var r = await _f.Chat().CompleteChatAsync(history, options);
        Assert.Equal(10, r.Value.Usage.OutputTokenCount);
        var expectedPrompt = _f.Local.EncodePrompt(
            [
                new MeaiChatMessage(MeaiChatRole.User, "Weather in Paris?"),
                new MeaiChatMessage(MeaiChatRole.Assistant, [new Microsoft.Extensions.AI.FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
                new MeaiChatMessage(MeaiChatRole.Tool, [new Microsoft.Extensions.AI.FunctionResultContent("call_1", "sunny")]),
            ],
            new MeaiChatOptions { Tools = [Microsoft.Extensions.AI.AIFunctionFactory.CreateDeclaration("get_weather", "Weather of a city",
                JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement)] });
        Assert.Equal(expectedPrompt.Length, r.Value.Usage.InputTokenCount);

        using var http = _f.Http();
        var body = $$$"""{"model":"{{{_f.Server.ModelId}}}","messages":[{"role":"user","content":"x"}],"max_tokens":5,"response_format":{"type":"json_object"}}""";
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.False, doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("json_valid").ValueKind);
    }

    [Fact]
    public async Task ConcurrentBurst_AllSucceed_WithTheSequentialTexts()
    {
        var prompts = Enumerable.Range(0, 6).Select(i => $"Story number {i} about a cat.").ToArray();
        var options = new ChatCompletionOptions { Temperature = 0.7f, Seed = 9, MaxOutputTokenCount = 20 };
        var sequential = new List<string>();
        foreach (var p in prompts)
        {
            sequential.Add((await _f.Chat().CompleteChatAsync([new UserChatMessage(p)], options)).Value.Content[0].Text);
        }

        var burst = await Task.WhenAll(prompts.Select(p => _f.Chat().CompleteChatAsync([new UserChatMessage(p)], options)));
        Assert.Equal(sequential, burst.Select(b => b.Value.Content[0].Text));
    }
}
