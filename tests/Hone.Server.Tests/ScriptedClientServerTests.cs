using System.ClientModel;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using OaiChatMessage = OpenAI.Chat.ChatMessage;

namespace Hone.Server.Tests;

/// <summary>
/// The server over a scripted IChatClient: tool calls out, parsed options in, and the concurrency gate held open on
/// purpose so the queue bound and 429 are deterministic.
/// </summary>
public sealed class ScriptedClientServerTests
{
    private sealed class ScriptedClient : IChatClient
    {
        public Func<ChatResponse> Reply { get; set; } = () => new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant, "ok"));

        public TaskCompletionSource? Hold { get; set; }

        public int Entered;

        public ChatOptions? LastOptions { get; private set; }

        public List<Microsoft.Extensions.AI.ChatMessage> LastMessages { get; private set; } = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastMessages = messages.ToList();
            LastOptions = options;
            Interlocked.Increment(ref Entered);
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            return Reply();
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var u in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
            {
                yield return u;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static readonly OaiChatMessage[] Ask = [new UserChatMessage("Weather in Paris?")];

    [Fact]
    public async Task ToolCalls_ReachTheSdk_AndToolOptionsReachTheClient()
    {
        var client = new ScriptedClient
        {
            Reply = () => new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant,
                [new FunctionCallContent("call_7", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = 2 })]))
            { FinishReason = Microsoft.Extensions.AI.ChatFinishReason.ToolCalls },
        };
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0 }, "scripted");
        var sdk = ServerFixture.Sdk(server, "scripted", "any");
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonObjectFormat() };

        var r = await sdk.CompleteChatAsync(Ask, options);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, r.Value.FinishReason);
        var call = Assert.Single(r.Value.ToolCalls);
        Assert.Equal("call_7", call.Id);
        Assert.Equal("get_weather", call.FunctionName);
        using var args = JsonDocument.Parse(call.FunctionArguments);
        Assert.Equal("Paris", args.RootElement.GetProperty("city").GetString());
        Assert.Equal(2, args.RootElement.GetProperty("days").GetInt32());

        var declared = Assert.IsAssignableFrom<AIFunctionDeclaration>(Assert.Single(client.LastOptions!.Tools!));
        Assert.Equal("get_weather", declared.Name);
        Assert.Equal("get_weather", Assert.IsType<RequiredChatToolMode>(client.LastOptions.ToolMode).RequiredFunctionName);
        Assert.IsType<ChatResponseFormatJson>(client.LastOptions.ResponseFormat);

        var streamedCalls = new List<StreamingChatToolCallUpdate>();
        await foreach (var u in sdk.CompleteChatStreamingAsync(Ask, options))
        {
            streamedCalls.AddRange(u.ToolCallUpdates);
        }

        var streamed = Assert.Single(streamedCalls);
        Assert.Equal("get_weather", streamed.FunctionName);
        Assert.Contains("Paris", streamed.FunctionArgumentsUpdate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeyondConcurrencyAndQueue_Is429_ThenServesAgain()
    {
        var client = new ScriptedClient { Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0, MaxConcurrency = 1, MaxQueue = 1 }, "scripted");
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        const string body = """{"model":"scripted","messages":[{"role":"user","content":"x"}]}""";
        Task<HttpResponseMessage> Post() => http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        var running = Post();
        for (int i = 0; i < 500 && Volatile.Read(ref client.Entered) == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, Volatile.Read(ref client.Entered));
        var queued = Post();
        for (int i = 0; i < 500 && server.QueueLength == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, server.QueueLength);
        var rejected = await Post().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.TooManyRequests, rejected.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), rejected.Headers.RetryAfter?.Delta);
        Assert.Equal(1, Volatile.Read(ref client.Entered));
        using var doc = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_exceeded", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        client.Hold.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post()).StatusCode);
    }

    [Fact]
    public async Task Gate_QueueBound()
    {
        using var gate = new ConcurrencyGate(1, 1);
        var first = await gate.TryEnterAsync(CancellationToken.None);
        Assert.NotNull(first);
        var second = gate.TryEnterAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, gate.Waiting);
        Assert.Null(await gate.TryEnterAsync(CancellationToken.None));
        first.Dispose();
        Assert.NotNull(await second);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task Options_AreValidated()
    {
        using var client = new ScriptedClient();
        await Assert.ThrowsAsync<ArgumentException>(() => HoneServer.StartAsync(client, new ServerOptions { Port = 0, MaxConcurrency = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => HoneServer.StartAsync(client, new ServerOptions { Host = "example.com" }));
        var e = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0 }, "scripted");
            await ServerFixture.Sdk(server, "scripted", "k").CompleteChatAsync([new UserChatMessage("x")], new ChatCompletionOptions { Temperature = 3 });
        });
        Assert.Equal(400, e.Status);
    }
}
