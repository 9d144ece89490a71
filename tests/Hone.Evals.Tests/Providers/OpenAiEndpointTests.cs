using System.ClientModel;
using System.Text.Json;
using Hone.Evals.Providers;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Providers;

public class OpenAiEndpointTests
{
    [Fact]
    public async Task Request_carries_messages_options_and_tools_and_the_response_maps_back()
    {
        using var server = new FakeOpenAiServer();
        server.Enqueue(200, FakeOpenAiServer.Completion("", """[{"id":"call_1","type":"function","function":{"name":"set_altitude","arguments":"{\"meters\": 120}"}}]"""));
        using var client = OpenAiEndpoint.Create(server.BaseUrl, "fake-model", "sk-test-secret");
        var tool = AIFunctionFactory.CreateDeclaration("set_altitude", "Set the drone altitude.",
            JsonDocument.Parse("""{"type":"object","properties":{"meters":{"type":"integer"}},"required":["meters"]}""").RootElement);

        var response = await client.GetResponseAsync(
            [new(ChatRole.System, "You fly drones."), new(ChatRole.User, "Go up to 120 m.")],
            new ChatOptions { Temperature = 0, Seed = 42, MaxOutputTokens = 64, StopSequences = ["\n\n"], Tools = [tool] });

        var (path, body, auth) = Assert.Single(server.Requests);
        Assert.EndsWith("/v1/chat/completions", path, StringComparison.Ordinal);
        Assert.Equal("Bearer sk-test-secret", auth);
        using var req = JsonDocument.Parse(body);
        var r = req.RootElement;
        Assert.Equal("fake-model", r.GetProperty("model").GetString());
        Assert.Equal(0, r.GetProperty("temperature").GetDouble());
        Assert.Equal(42, r.GetProperty("seed").GetInt64());
        Assert.Equal("\n\n", r.GetProperty("stop")[0].GetString());
        Assert.Equal(["system", "user"], r.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("set_altitude", r.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());

        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("set_altitude", call.Name);
        Assert.Equal("120", call.Arguments!["meters"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(11, response.Usage!.InputTokenCount);
        Assert.Equal(5, response.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Assistant_tool_calls_and_tool_results_are_sent_in_openai_shape()
    {
        using var server = new FakeOpenAiServer();
        server.Enqueue(200, FakeOpenAiServer.Completion("Done."));
        using var client = OpenAiEndpoint.Create(server.BaseUrl, "m", null);
        var response = await client.GetResponseAsync(
        [
            new(ChatRole.User, "up"),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "set_altitude", new Dictionary<string, object?> { ["meters"] = 5 })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", "ok")]),
        ]);
        Assert.Equal("Done.", response.Text);
        using var req = JsonDocument.Parse(server.Requests[0].Body);
        var msgs = req.RootElement.GetProperty("messages");
        Assert.Equal("c1", msgs[1].GetProperty("tool_calls")[0].GetProperty("id").GetString());
        using var args = JsonDocument.Parse(msgs[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal(5, Assert.Single(args.RootElement.EnumerateObject(), p => p.Name == "meters").Value.GetInt32());
        Assert.Equal("tool", msgs[2].GetProperty("role").GetString());
        Assert.Equal("c1", msgs[2].GetProperty("tool_call_id").GetString());
    }

    [Fact]
    public async Task Retries_recover_from_429_and_503_but_not_from_400()
    {
        using var server = new FakeOpenAiServer();
        server.Enqueue(429, """{"error":{"message":"slow down","type":"rate_limit"}}""");
        server.Enqueue(503, """{"error":{"message":"busy","type":"server_error"}}""");
        server.Enqueue(200, FakeOpenAiServer.Completion("fine"));
        server.Enqueue(400, """{"error":{"message":"bad request","type":"invalid_request_error"}}""");
        using var client = OpenAiEndpoint.Create(server.BaseUrl, "m", null).AsBuilder().UseRetries(3, TimeSpan.FromMilliseconds(1)).Build();

        Assert.Equal("fine", (await client.GetResponseAsync([new(ChatRole.User, "hi")])).Text);
        Assert.Equal(3, server.Requests.Count);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")]));
        Assert.Equal(400, e.Status);
        Assert.Equal(4, server.Requests.Count); // the 400 was not retried
    }

    [Fact]
    public async Task A_429_waits_as_long_as_its_Retry_After_says()
    {
        using var server = new FakeOpenAiServer();
        server.Enqueue(429, """{"error":{"message":"slow down","type":"rate_limit"}}""", ("Retry-After", "1"));
        server.Enqueue(503, """{"error":{"message":"busy","type":"server_error"}}""", ("retry-after-ms", "300"));
        server.Enqueue(200, FakeOpenAiServer.Completion("fine"));
        // The backoff of its own would be 1 ms: the waits below are the endpoint's.
        using var client = OpenAiEndpoint.Create(server.BaseUrl, "m", null).AsBuilder().UseRetries(3, TimeSpan.FromMilliseconds(1)).Build();

        Assert.Equal("fine", (await client.GetResponseAsync([new(ChatRole.User, "hi")])).Text);
        Assert.Equal(3, server.Arrivals.Count);
        var afterRetryAfter = System.Diagnostics.Stopwatch.GetElapsedTime(server.Arrivals[0], server.Arrivals[1]);
        var afterRetryAfterMs = System.Diagnostics.Stopwatch.GetElapsedTime(server.Arrivals[1], server.Arrivals[2]);
        Assert.True(afterRetryAfter >= TimeSpan.FromMilliseconds(950), $"retried {afterRetryAfter.TotalMilliseconds} ms after a 429 with Retry-After: 1");
        Assert.True(afterRetryAfterMs >= TimeSpan.FromMilliseconds(280), $"retried {afterRetryAfterMs.TotalMilliseconds} ms after a 503 with retry-after-ms: 300");
    }

    [Fact]
    public async Task Retry_After_as_an_http_date_or_beyond_the_cap_is_read_and_capped()
    {
        using var server = new FakeOpenAiServer();
        var now = DateTimeOffset.UtcNow;
        server.Enqueue(429, "{}", ("Retry-After", now.AddSeconds(30).ToString("r", System.Globalization.CultureInfo.InvariantCulture)));
        server.Enqueue(429, "{}", ("Retry-After", "3600"));
        server.Enqueue(429, "{}");
        using var client = OpenAiEndpoint.Create(server.BaseUrl, "m", null);
        var delays = new List<TimeSpan?>();
        for (int i = 0; i < 3; i++)
        {
            var e = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")]));
            Assert.True(ChatRetry.IsTransient(e));
            delays.Add(ChatRetry.RetryAfter(e));
        }
        Assert.InRange(delays[0]!.Value.TotalSeconds, 25, 30);
        Assert.Equal(ChatRetry.MaxRetryAfter, delays[1]);
        Assert.Null(delays[2]);
    }
}
