using System.Net.Http.Json;
using System.Text.Json;
using Hone.App;
using Hone.App.Models;
using Hone.Core;
using Hone.Store;
using Hone.Testing;

namespace Hone.Server.Tests;

/// <summary>The serve use case (what <c>hone serve</c> calls): key resolution, the model as a local chat client, the fine-tuning API inside a workspace.</summary>
public class LocalModelServerTests
{
    private static readonly LocalModel Stories = new(TestAssets.Path("models", "stories260K", "stories260K.bin"), Template: "chatml");

    [Fact]
    public async Task Serves_the_model_and_reports_what_it_started_as_a_typed_record()
    {
        var dir = TestAssets.NewTempDir("serve-usecase");
        var warnings = new List<string>();
        await using var server = await LocalModelServer.StartAsync(new ServeRequest(Stories, dir) { Port = 0, ApiKey = "k" }, warnings.Add);
        var s = server.Started;
        Assert.StartsWith("http://127.0.0.1:", s.Url, StringComparison.Ordinal);
        Assert.Null(s.FineTuning); // no workspace here
        Assert.Equal("--api-key", s.ApiKey);
        Assert.NotEmpty(warnings); // a key on the command line is visible in ps
        var json = JsonSerializer.SerializeToElement(s, AppJson.Options);
        Assert.Equal(["url", "model", "template", "api_key"], json.EnumerateObject().Select(p => p.Name));

        using var http = new HttpClient { BaseAddress = new Uri(s.Url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "k");
        var models = await http.GetFromJsonAsync<JsonElement>("v1/models");
        Assert.Equal(s.Model, models.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Inside_a_workspace_it_offers_fine_tuning_unless_told_not_to_and_refuses_bad_options_before_loading()
    {
        var ws = Workspace.Init(Path.Combine(TestAssets.NewTempDir("serve-ws"), "ws"));
        await using (var server = await LocalModelServer.StartAsync(new ServeRequest(Stories, ws.Root) { Port = 0, Environment = _ => null }))
            Assert.Equal(Path.Combine(ws.StateDir, "fine_tuning"), server.Started.FineTuning);
        await using (var off = await LocalModelServer.StartAsync(new ServeRequest(Stories, ws.Root) { Port = 0, FineTuning = false }))
            Assert.Null(off.Started.FineTuning);

        var broken = new LocalModel(Path.Combine(ws.Root, "no-such-model"));
        Assert.Contains("--threads", (await Assert.ThrowsAsync<UseCaseException>(() =>
            LocalModelServer.StartAsync(new ServeRequest(broken, ws.Root) { Port = 0, Threads = 0 }))).Message, StringComparison.Ordinal);
        var missingKey = await Assert.ThrowsAnyAsync<Exception>(() =>
            LocalModelServer.StartAsync(new ServeRequest(broken, ws.Root) { Port = 0, ApiKeyFile = "nope.key" }));
        Assert.NotEqual(ErrorKind.Internal, InputErrors.KindOf(missingKey));
    }
}
