using System.Net;
using System.Net.Sockets;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Execution;

public class HttpToolTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task An_http_tool_posts_the_arguments_and_a_slow_one_times_out_as_an_error_the_model_reads()
    {
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            for (int i = 0; i < 2; i++)
            {
                var ctx = await listener.GetContextAsync();
                var body = await new StreamReader(ctx.Request.InputStream).ReadToEndAsync();
                if (ctx.Request.Url!.AbsolutePath == "/slow") await Task.Delay(1_500);
                var bytes = System.Text.Encoding.UTF8.GetBytes("got " + body);
                try { await ctx.Response.OutputStream.WriteAsync(bytes); ctx.Response.Close(); } catch (HttpListenerException) { } catch (ObjectDisposedException) { }
            }
        });
        var t = new TestFiles();
        var p = PromptFileReader.Load(t.Write("p.yaml", $"""
            user: hi
            tools:
              - name: fast
                http: {"{"}url: "http://127.0.0.1:{port}/fast"{"}"}
                timeout_seconds: 5
              - name: slow
                http: {"{"}url: "http://127.0.0.1:{port}/slow"{"}"}
                timeout_seconds: 0.2
            """));
        var tools = ToolFunctions.For(p).OfType<AIFunction>().ToList();
        var fast = await tools[0].InvokeAsync(new AIFunctionArguments(new Dictionary<string, object?> { ["city"] = "Oslo" }));
        Assert.Equal("got {\"city\":\"Oslo\"}", fast?.ToString());
        var slow = await tools[1].InvokeAsync(new AIFunctionArguments());
        Assert.StartsWith("error: tool 'slow' timed out after 0.2 s", slow?.ToString(), StringComparison.Ordinal);
        listener.Stop();
        await Task.WhenAny(serving, Task.Delay(3_000));
    }
}
