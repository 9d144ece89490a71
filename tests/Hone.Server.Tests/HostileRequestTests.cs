using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Hone.Server.Tests;

/// <summary>
/// Hostile request bodies (issue 18 item 11): text that no string can hold is a 400 naming the field, and an internal
/// failure is a 500 that names no .NET type and no internal message.
/// </summary>
public sealed class HostileRequestTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _f;

    public HostileRequestTests(ServerFixture fixture) => _f = fixture;

    /// <summary>A body with <c>MODEL</c> replaced and each <c>#</c> replaced by the byte 0xFF (invalid UTF-8).</summary>
    private byte[] Body(string template)
    {
        var bytes = Encoding.UTF8.GetBytes(template.Replace("MODEL", _f.Server.ModelId, StringComparison.Ordinal));
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'#')
            {
                bytes[i] = 0xFF;
            }
        }

        return bytes;
    }

    private static async Task<(HttpStatusCode Status, string Text, JsonElement Error)> PostAsync(HttpClient http, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return (response.StatusCode, text, doc.RootElement.GetProperty("error").Clone());
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user","content":"a\ud800b"}]}""", "messages[0].content")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"system","content":"s"},{"role":"user","content":"a#b"}]}""", "messages[1].content")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user\udc00","content":"x"}]}""", "messages[0].role")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"us#er","content":"x"}]}""", "messages[0].role")]
    [InlineData("v1/chat/completions", """{"model":"MODEL\ud800","messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("v1/chat/completions", """{"model":"#","messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user","content":[{"type":"text","text":"\udfff"}]}]}""", "messages[0].content[0].text")]
    [InlineData("v1/completions", """{"model":"MODEL","prompt":"Once \ud83d\ud83d"}""", "prompt")]
    [InlineData("v1/completions", """{"model":"MODEL","prompt":["ok","Once #"]}""", "prompt[1]")]
    [InlineData("v1/completions", """{"model":"MODEL","prompt":"ok","stop":["\ud800"]}""", "stop[0]")]
    public async Task Text_no_string_can_hold_is_a_400_naming_the_field(string path, string template, string param)
    {
        using var http = _f.Http();
        var (status, text, error) = await PostAsync(http, path, Body(template));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(param, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);

        // The server is still up and serving.
        using var ok = await http.PostAsync("v1/completions", new ByteArrayContent(Body("""{"model":"MODEL","prompt":"Once \ud83d\ude00","max_tokens":2}""")));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user","content":[{"type":7,"text":"x"}]}]}""", "messages[0].content")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user","content":"x"}],"tools":[{"type":["function"],"function":{"name":"f"}}]}""", "tools[0]")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"user","content":"x"}],"response_format":{"type":{"a":1}}}""", "response_format")]
    [InlineData("v1/chat/completions", """{"model":"MODEL","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\"a\":\"\\ud800\"}"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    public async Task Values_of_the_wrong_json_type_are_a_400_naming_the_field(string path, string template, string param)
    {
        using var http = _f.Http();
        var (status, text, error) = await PostAsync(http, path, Body(template));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_json_is_a_400_without_dotnet_internals()
    {
        using var http = _f.Http();
        var (status, text, error) = await PostAsync(http, "v1/chat/completions", Body("""{"model":"MODEL","messages":[{"role":"user","content":"x"},]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_json", error.GetProperty("code").GetString());
        Assert.DoesNotContain("LineNumber", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", text, StringComparison.Ordinal);
    }

    private sealed class ThrowingClient(Exception toThrow) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw toThrow;

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "partial");
            throw toThrow;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Theory]
    [InlineData("argument")]
    [InlineData("invalid-operation")]
    [InlineData("null-reference")]
    public async Task An_internal_error_is_a_500_that_names_no_dotnet_type_and_is_logged_with_its_reference(string kind)
    {
        Exception thrown = kind switch
        {
            "argument" => new ArgumentException("secret detail at /home/x/engine.cs"),
            "invalid-operation" => new InvalidOperationException("secret detail at /home/x/engine.cs"),
            _ => new NullReferenceException("secret detail at /home/x/engine.cs"),
        };
        using var client = new ThrowingClient(thrown);
        var log = new StringWriter();
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0, ErrorLog = log }, "scripted");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new StringContent("""{"model":"scripted","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.DoesNotContain(thrown.GetType().Name, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret detail", text, StringComparison.Ordinal);

        // The operator's log has the type, the message and the reference the client was given.
        var reference = error.GetProperty("code").GetString()!;
        Assert.StartsWith("internal_error", reference, StringComparison.Ordinal);
        var message = error.GetProperty("message").GetString()!;
        var id = message[(message.IndexOf("reference ", StringComparison.Ordinal) + "reference ".Length)..].TrimEnd('.', ')');
        Assert.Contains(id, log.ToString(), StringComparison.Ordinal);
        Assert.Contains(thrown.GetType().Name, log.ToString(), StringComparison.Ordinal);
        Assert.Contains("secret detail", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input", HttpStatusCode.BadRequest, "invalid_request_error", null)]
    [InlineData("not-found", HttpStatusCode.NotFound, "invalid_request_error", "not_found")]
    [InlineData("unsupported", (HttpStatusCode)422, "invalid_request_error", "unsupported")]
    [InlineData("conflict", HttpStatusCode.Conflict, "invalid_request_error", "conflict")]
    [InlineData("internal", HttpStatusCode.InternalServerError, "server_error", "internal_error")]
    public async Task A_hone_error_is_answered_by_its_kind_in_the_openai_error_shape(string kind, HttpStatusCode status, string type, string? code)
    {
        var where = new Hone.Core.ErrorLocation(Field: "messages[0].content");
        Exception thrown = kind switch
        {
            "input" => Hone.Core.HoneException.Input("the message is unusable", where),
            "not-found" => Hone.Core.HoneException.NotFound("the adapter is gone", where),
            "unsupported" => Hone.Core.HoneException.Unsupported("images are not supported", where),
            "conflict" => new Hone.Core.HoneException(Hone.Core.ErrorKind.Conflict, "busy with another job", where),
            _ => new Hone.Core.HoneException("secret detail: a broken invariant"),
        };
        using var client = new ThrowingClient(thrown);
        var log = new StringWriter();
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0, ErrorLog = log }, "scripted");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new StringContent("""{"model":"scripted","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, response.StatusCode);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        if (kind == "internal")
        {
            Assert.DoesNotContain("secret detail", text, StringComparison.Ordinal);
            Assert.Contains("secret detail", log.ToString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(thrown.Message, error.GetProperty("message").GetString());
            Assert.Equal("messages[0].content", error.GetProperty("param").GetString());
            Assert.Equal("", log.ToString());
        }
    }

    [Fact]
    public async Task An_internal_error_mid_stream_ends_the_stream_with_an_error_event_that_names_no_dotnet_type()
    {
        using var client = new ThrowingClient(new InvalidOperationException("secret detail"));
        await using var server = await HoneServer.StartAsync(client, new ServerOptions { Port = 0, ErrorLog = TextWriter.Null }, "scripted");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new StringContent("""{"model":"scripted","stream":true,"messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("partial", text, StringComparison.Ordinal);
        Assert.Contains("server_error", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret detail", text, StringComparison.Ordinal);
    }
}
