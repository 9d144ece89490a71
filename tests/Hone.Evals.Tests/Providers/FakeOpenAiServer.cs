using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hone.Evals.Tests.Providers;

/// <summary>
/// A loopback HTTP server speaking just enough of the chat-completions API for client tests: each request is
/// recorded and answered by the next scripted (status, body) pair.
/// </summary>
internal sealed class FakeOpenAiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Queue<(int Status, string Body, (string Name, string Value)[] Headers)> _script = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public FakeOpenAiServer()
    {
        var port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public Uri BaseUrl { get; }

    public List<(string Path, string Body, string? Authorization)> Requests { get; } = [];

    /// <summary>When each request arrived (Stopwatch timestamps), in order.</summary>
    public List<long> Arrivals { get; } = [];

    public void Enqueue(int status, string body, params (string Name, string Value)[] headers) { lock (_script) _script.Enqueue((status, body, headers)); }

    public static string Completion(string content, string? toolCallsJson = null, int prompt = 11, int completion = 5)
    {
        var message = new System.Text.Json.Nodes.JsonObject
        {
            ["role"] = "assistant",
            ["content"] = content.Length == 0 ? null : content,
        };
        if (toolCallsJson is not null) message["tool_calls"] = System.Text.Json.Nodes.JsonNode.Parse(toolCallsJson);
        var root = new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion",
            ["created"] = 1700000000,
            ["model"] = "fake-model",
            ["choices"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
            {
                ["index"] = 0,
                ["finish_reason"] = toolCallsJson is null ? "stop" : "tool_calls",
                ["message"] = message,
            }),
            ["usage"] = new System.Text.Json.Nodes.JsonObject
            {
                ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion,
            },
        };
        return root.ToJsonString();
    }

    private async Task Loop()
    {
        while (!_cts.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) when (_cts.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync().ConfigureAwait(false);
            (int Status, string Body, (string Name, string Value)[] Headers) reply;
            lock (Requests)
            {
                Requests.Add((ctx.Request.Url!.AbsolutePath, body, ctx.Request.Headers["Authorization"]));
                Arrivals.Add(System.Diagnostics.Stopwatch.GetTimestamp());
            }
            lock (_script) reply = _script.Count > 0 ? _script.Dequeue() : (500, """{"error":{"message":"no scripted reply","type":"server_error"}}""", []);
            ctx.Response.StatusCode = reply.Status;
            foreach (var (name, value) in reply.Headers) ctx.Response.Headers[name] = value;
            ctx.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            await ctx.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            ctx.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _cts.Dispose();
    }
}
