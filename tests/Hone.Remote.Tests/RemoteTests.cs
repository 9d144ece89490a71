using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Hone.Evals.Providers;
using Hone.FineTuning;
using Hone.Models.Chat;
using Hone.Server;
using Hone.Store;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Remote.Tests;

/// <summary>
/// hone remote: the OpenAI shape end to end against hone serve's own fine-tuning API (a real server on loopback), and
/// Together and Fireworks against recorded exchanges with every request body checked field by field.
/// </summary>
public sealed class RemoteTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string Chat(int i) => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = $"Tell me about friend {i}." }, new { role = "assistant", content = "Lily had a red ball." } },
    });

    private static string Data(string dir, int n)
    {
        var path = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(Chat));
        return path;
    }

    [Fact]
    public async Task Remote_sft_against_hone_serve_records_metrics_cost_and_a_model_hone_eval_can_call()
    {
        var dir = TestAssets.NewTempDir();
        var ws = Workspace.Init(Path.Combine(dir, "ws"));
        using var local = LocalChatClient.Load(Stories, template: "chatml");
        await using var service = FineTuningService.Start(new FineTuningOptions
        {
            DatabasePath = Path.Combine(dir, "server", "hone.db"), Folder = Path.Combine(dir, "server", "ft"), BaseModelId = local.ModelId,
            BaseModelPath = Stories, Template = "chatml", Threads = 2, LoraRank = 4,
        });
        await using var server = await HoneServer.StartAsync(local, new ServerOptions { Port = 0 }, null, service);
        var config = ws.Config with
        {
            Providers = new(StringComparer.Ordinal) { ["hone"] = new ProviderConfig { BaseUrl = new Uri(server.BaseAddress, "v1").ToString() } },
        };
        var provider = RemoteProvider.Resolve("hone", config);
        Assert.Equal("openai", provider.Kind);
        using var http = new HttpClient();
        var remote = provider.Connect(http, provider.ApiKey(_ => null));
        using var store = ws.OpenStore();
        var seen = new List<string>();
        var result = await RemoteTrainer.RunAsync(remote, provider, new RemoteTrainOptions
        {
            Method = RemoteMethod.Sft, DataFile = Data(dir, 8), BaseModel = local.ModelId, Epochs = 3, BatchSize = 2, LearningRateMultiplier = 5,
            Suffix = "remote", PollInterval = TimeSpan.FromMilliseconds(100), PricePer1M = 2m,
        }, store, new Progress(seen), CancellationToken.None);

        Assert.Equal(RemoteState.Succeeded, result.Job.State);
        Assert.Contains("queued", seen);
        var run = store.GetRun(result.RunId);
        Assert.Equal(("remote-sft", RunStatus.Succeeded), (run.Kind, run.Status));
        var loss = store.GetMetric(run.Id, "train_loss");
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), loss.Select(l => l.Step)); // 8 examples / batch 2 × 3 epochs
        Assert.Equal(store.GetMetric(run.Id, "train_mean_token_accuracy").Count, loss.Count);
        Assert.Equal("provider" == result.CostSource ? null : result.Job.TrainedTokens * 2m / 1_000_000m, result.CostUsd);
        Assert.StartsWith("estimate: trained tokens", result.CostSource, StringComparison.Ordinal);
        var tags = store.GetTags(run.Id);
        Assert.Equal("hone:" + result.Job.OutputModel, tags["eval_model"]);
        Assert.Equal(result.Job.Id, tags["job_id"]);
        using (var summary = JsonDocument.Parse(run.SummaryJson!))
            Assert.Equal(result.CostUsd, summary.RootElement.GetProperty("cost_usd").GetDecimal());

        // Registered for hone eval: hone.yaml gets the provider (when missing) and the model answers through the eval client.
        Assert.True(RemoteTrainer.Register(ws, RemoteProvider.BuiltIn["together"]));
        Assert.Contains("together", Workspace.Open(ws.Root).Config.Providers.Keys);
        using var client = OpenAiEndpoint.Create(provider.InferenceUrl, result.Job.OutputModel!, "none");
        var reply = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Tell me about friend 2.")], new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        Assert.StartsWith("Lily", reply.Text, StringComparison.Ordinal);

        // A file the data check refuses stops before anything is uploaded or recorded.
        var bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"no answer\"}]}\n");
        var before = store.ListRuns().Count;
        var refused = await Assert.ThrowsAsync<RemoteException>(() => RemoteTrainer.RunAsync(remote, provider,
            new RemoteTrainOptions { Method = RemoteMethod.Sft, DataFile = bad, BaseModel = local.ModelId }, store, null, CancellationToken.None));
        Assert.Contains("nothing was uploaded", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, store.ListRuns().Count);
        Assert.Single(service.ListFiles());
    }

    private sealed class Progress(List<string> seen) : IProgress<RemoteJob>
    {
        public void Report(RemoteJob value) => seen.Add(value.RawStatus);
    }

    [Fact]
    public async Task Together_dpo_job_sends_the_recorded_bodies_and_records_price_and_loss()
    {
        var dir = TestAssets.NewTempDir();
        var pairs = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 4).Select(i => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = $"Who is friend {i}?" } } },
            preferred_output = new[] { new { role = "assistant", content = "Lily." } },
            non_preferred_output = new[] { new { role = "assistant", content = "A dog." } },
        })));
        var handler = new FixtureHandler("together.json");
        using var http = new HttpClient(handler);
        var provider = RemoteProvider.Resolve("together", null);
        var remote = provider.Connect(http, "test-key");
        var ws = Workspace.Init(Path.Combine(dir, "ws"));
        using var store = ws.OpenStore();
        var result = await RemoteTrainer.RunAsync(remote, provider, new RemoteTrainOptions
        {
            Method = RemoteMethod.Dpo, DataFile = pairs, BaseModel = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", Epochs = 2, BatchSize = 8,
            LearningRateMultiplier = 2, Beta = 0.2, Suffix = "hone-test", Seed = 7, LoraRank = 16, PollInterval = TimeSpan.Zero,
        }, store, null, CancellationToken.None);
        Assert.Equal(0, handler.Remaining);
        Assert.Equal(RemoteState.Succeeded, result.Job.State);
        Assert.Equal((2.5m, "provider"), (result.CostUsd!.Value, result.CostSource)); // 2.5e9 nanodollars
        Assert.Equal("together:me/Meta-Llama-3.1-8B-Instruct-Reference-hone-test-0a1b2c3d", result.EvalModel);
        Assert.Equal([(4L, 1.25), (8L, 0.75)], store.GetMetric(result.RunId, "train_loss"));
        Assert.Equal([(8L, 0.9)], store.GetMetric(result.RunId, "valid_loss"));
    }

    [Fact]
    public async Task Fireworks_sft_job_creates_a_dataset_sends_the_recorded_bodies_and_pulls_the_adapter_without_leaking_the_key()
    {
        var dir = TestAssets.NewTempDir();
        var handler = new FixtureHandler("fireworks.json");
        using var http = new HttpClient(handler);
        var provider = RemoteProvider.Resolve("fireworks", null);
        var remote = provider.Connect(http, "test-key", "acme");
        var ws = Workspace.Init(Path.Combine(dir, "ws"));
        using var store = ws.OpenStore();
        var result = await RemoteTrainer.RunAsync(remote, provider, new RemoteTrainOptions
        {
            Method = RemoteMethod.Sft, DataFile = Data(dir, 4), BaseModel = "accounts/fireworks/models/llama-v3p1-8b-instruct", Epochs = 3,
            LearningRateMultiplier = 0.5, BatchSize = 4, Suffix = "hone-sft", PollInterval = TimeSpan.Zero, PricePer1M = 0.5m,
        }, store, null, CancellationToken.None);
        Assert.Equal(RemoteState.Succeeded, result.Job.State);
        Assert.Equal(4096 * 0.5m / 1_000_000m, result.CostUsd);
        Assert.Equal("fireworks:accounts/acme/models/hone-sft", result.EvalModel);
        Assert.Equal("https://api.fireworks.ai/inference/v1", provider.InferenceUrl.ToString().TrimEnd('/'));

        handler.Downloads["adapter_config.json"] = Encoding.UTF8.GetBytes("{\"peft_type\":\"LORA\",\"r\":8}");
        var files = await remote.DownloadAdapterAsync(result.Job, Path.Combine(dir, "adapter"), CancellationToken.None);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("{\"peft_type\":\"LORA\",\"r\":8}", File.ReadAllText(Path.Combine(dir, "adapter", "adapter_config.json")));
        Assert.Equal(0, handler.Remaining);
    }

    [Fact]
    public async Task Together_adapter_download_unpacks_a_tar_gz()
    {
        var dir = TestAssets.NewTempDir();
        using var archive = new MemoryStream();
        using (var gz = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            foreach (var (name, text) in new[] { ("adapter_config.json", "{\"r\":16}"), ("adapter_model.safetensors", "weights") })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        }
        var handler = new DownloadHandler(archive.ToArray());
        using var http = new HttpClient(handler);
        var remote = RemoteProvider.Resolve("together", null).Connect(http, "k");
        var files = await remote.DownloadAdapterAsync(new RemoteJob("ft-1", RemoteState.Succeeded, "completed", "me/model"), Path.Combine(dir, "a"), CancellationToken.None);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], files.Select(Path.GetFileName));
        Assert.Equal("/v1/finetune/download?ft_id=ft-1&checkpoint=adapter", handler.Asked);
        Assert.Equal("{\"r\":16}", File.ReadAllText(Path.Combine(dir, "a", "adapter_config.json")));
    }

    private sealed class DownloadHandler(byte[] bytes) : HttpMessageHandler
    {
        public string? Asked { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Asked = request.RequestUri!.PathAndQuery;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) });
        }
    }
}
