using System.ClientModel;
using System.ClientModel.Primitives;
using Hone.Models.Chat;
using Hone.Testing;
using OpenAI;
using OpenAI.Chat;

namespace Hone.Server.Tests;

/// <summary>stories260K (chatml) served on a free loopback port with an API key, shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string Key = "test-key-123";

    public LocalChatClient Local { get; private set; } = null!;

    public HoneServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Local = LocalChatClient.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"), template: "chatml");
        Server = await HoneServer.StartAsync(Local, new ServerOptions { Port = 0, ApiKey = Key, MaxConcurrency = 2, MaxQueue = 8 });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Local.Dispose();
    }

    public ChatClient Chat(string? key = Key, string? model = null) => Sdk(Server, model ?? Server.ModelId, key ?? "wrong");

    /// <summary>An SDK chat client over loopback, with retries off so errors surface at once.</summary>
    public static ChatClient Sdk(HoneServer server, string model, string key) => new(model, new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(server.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(60),
    });

    public HttpClient Http(string? key = Key)
    {
        var http = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }
}
