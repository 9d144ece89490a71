using Hone.Evals.Providers;
using Hone.Store;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Providers;

/// <summary>A scripted inner client that counts calls and concurrent calls.</summary>
internal sealed class CountingChatClient(Func<int, ChatResponse>? reply = null, TimeSpan? delay = null) : IChatClient
{
    private int _inFlight;
    public int Calls;
    public int MaxInFlight;
    public Func<int, Exception?> FailOn { get; init; } = _ => null;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var n = Interlocked.Increment(ref Calls);
        var now = Interlocked.Increment(ref _inFlight);
        lock (this) MaxInFlight = Math.Max(MaxInFlight, now);
        try
        {
            if (delay is { } d) await Task.Delay(d, cancellationToken);
            if (FailOn(n) is { } e) throw e;
            return reply?.Invoke(n) ?? new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {n} to {messages.Last().Text}"))
            {
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 },
            };
        }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", new Uri("http://fake/v1"), "fake-model") : null;

    public void Dispose() { }
}

internal sealed class MemoryCache : IResponseCache
{
    public Dictionary<string, byte[]> Items { get; } = [];
    public byte[]? Get(string key) { lock (Items) return Items.GetValueOrDefault(key); }
    public void Put(string key, byte[] value) { lock (Items) Items[key] = value; }
}

public class DecoratorTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task Cache_answers_an_identical_request_without_calling_the_model()
    {
        var inner = new CountingChatClient();
        using var client = new CachingChatClient(inner, new MemoryCache());
        var first = await client.GetResponseAsync(Hello, new ChatOptions { Seed = 1, Temperature = 0 });
        var second = await client.GetResponseAsync(Hello, new ChatOptions { Seed = 1, Temperature = 0 });

        Assert.Equal(1, inner.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(true, second.AdditionalProperties?[CachingChatClient.CacheHitKey]);
        Assert.Equal(100, second.Usage!.InputTokenCount);
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("temperature")]
    [InlineData("message")]
    [InlineData("model")]
    [InlineData("stop")]
    public async Task Any_request_difference_misses_the_cache(string field)
    {
        var inner = new CountingChatClient();
        using var client = new CachingChatClient(inner, new MemoryCache());
        var baseOptions = new ChatOptions { Seed = 1, Temperature = 0, StopSequences = ["x"] };
        await client.GetResponseAsync(Hello, baseOptions);
        var (messages, options) = field switch
        {
            "seed" => (Hello, new ChatOptions { Seed = 2, Temperature = 0, StopSequences = ["x"] }),
            "temperature" => (Hello, new ChatOptions { Seed = 1, Temperature = 0.5f, StopSequences = ["x"] }),
            "message" => ([new(ChatRole.User, "hello!")], baseOptions),
            "model" => (Hello, new ChatOptions { Seed = 1, Temperature = 0, StopSequences = ["x"], ModelId = "other" }),
            _ => (Hello, new ChatOptions { Seed = 1, Temperature = 0, StopSequences = ["y"] }),
        };
        await client.GetResponseAsync(messages, options);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task A_failure_is_never_cached_and_never_replayed_as_a_success()
    {
        var inner = new CountingChatClient { FailOn = n => n == 1 ? new HttpRequestException("boom") : null };
        var cache = new MemoryCache();
        using var client = new CachingChatClient(inner, cache);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Hello));
        Assert.Empty(cache.Items);
        var ok = await client.GetResponseAsync(Hello);
        Assert.Equal(2, inner.Calls);
        Assert.Equal("answer 2 to hello", ok.Text);
    }

    [Fact]
    public async Task The_run_store_cache_survives_reopening_and_never_holds_the_api_key()
    {
        var db = Path.Combine(TestAssets.NewTempDir(), "hone.db");
        using var server = new FakeOpenAiServer();
        server.Enqueue(200, FakeOpenAiServer.Completion("cached text"));
        using (var store = RunStore.Open(db))
        using (var client = new CachingChatClient(new OpenAiCompatibleChatClient(server.BaseUrl, "m", "sk-very-secret-key"), new RunStoreResponseCache(store)))
            Assert.Equal("cached text", (await client.GetResponseAsync(Hello)).Text);

        using (var store = RunStore.Open(db))
        using (var client = new CachingChatClient(new OpenAiCompatibleChatClient(server.BaseUrl, "m", "sk-very-secret-key"), new RunStoreResponseCache(store)))
            Assert.Equal("cached text", (await client.GetResponseAsync(Hello)).Text);
        Assert.Single(server.Requests);

        var bytes = File.ReadAllBytes(db);
        Assert.Equal(-1, bytes.AsSpan().IndexOf("sk-very-secret-key"u8));
    }

    [Fact]
    public async Task Concurrency_limit_bounds_requests_in_flight()
    {
        var inner = new CountingChatClient(delay: TimeSpan.FromMilliseconds(30));
        using var client = new ConcurrencyLimitingChatClient(inner, 2);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.GetResponseAsync([new(ChatRole.User, $"q{i}")])));
        Assert.Equal(8, inner.Calls);
        Assert.Equal(2, inner.MaxInFlight);
    }

    [Fact]
    public async Task Pipeline_counts_tokens_and_cost_only_for_calls_that_reach_the_model()
    {
        var inner = new CountingChatClient();
        var ledger = new UsageLedger();
        using var client = ChatClientPipeline.Build(inner, new ChatClientPipelineOptions
        {
            Cache = new MemoryCache(), Ledger = ledger, Price = new ModelPrice(InputPer1M: 2m, OutputPer1M: 8m), MaxRetries = 0,
        });
        var r1 = await client.GetResponseAsync(Hello);
        await client.GetResponseAsync(Hello); // cache hit
        await client.GetResponseAsync([new(ChatRole.User, "other")]);

        Assert.Equal(2, ledger.Calls);
        Assert.Equal(200, ledger.InputTokens);
        Assert.Equal(20, ledger.OutputTokens);
        Assert.Equal((2m * 200 + 8m * 20) / 1_000_000m, ledger.Cost);
        Assert.Equal((2m * 100 + 8m * 10) / 1_000_000m, (decimal)r1.AdditionalProperties![UsageTrackingChatClient.CostKey]!);
        Assert.True((double)r1.AdditionalProperties[TimingChatClient.LatencyKey]! >= 0);
    }

    [Fact]
    public void Transient_failures_are_told_apart_from_permanent_ones()
    {
        Assert.True(RetryingChatClient.IsTransient(new HttpRequestException("reset")));
        Assert.True(RetryingChatClient.IsTransient(new TimeoutException()));
        Assert.False(RetryingChatClient.IsTransient(new InvalidOperationException()));
        Assert.False(RetryingChatClient.IsTransient(new OperationCanceledException()));
    }
}
