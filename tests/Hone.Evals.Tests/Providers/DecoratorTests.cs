using Hone.Evals.Providers;
using Hone.Store;
using Hone.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

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

/// <summary>An in-memory <see cref="IDistributedCache"/> whose entries a test can see.</summary>
internal sealed class MemoryCache : IDistributedCache
{
    public Dictionary<string, byte[]> Items { get; } = [];
    public byte[]? Get(string key) { lock (Items) return Items.GetValueOrDefault(key); }
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) { lock (Items) Items[key] = value; }
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }
    public void Refresh(string key) { }
    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;
    public void Remove(string key) { lock (Items) Items.Remove(key); }
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }
}

public class DecoratorTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task Cache_answers_an_identical_request_without_calling_the_model()
    {
        var inner = new CountingChatClient();
        using var client = new ResponseCachingChatClient(inner, new MemoryCache());
        var first = await client.GetResponseAsync(Hello, new ChatOptions { Seed = 1, Temperature = 0 });
        var second = await client.GetResponseAsync(Hello, new ChatOptions { Seed = 1, Temperature = 0 });

        Assert.Equal(1, inner.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(true, second.AdditionalProperties?[ResponseCachingChatClient.CacheHitKey]);
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
        using var client = new ResponseCachingChatClient(inner, new MemoryCache());
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
        using var client = new ResponseCachingChatClient(inner, cache);

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
        using (var client = new ResponseCachingChatClient(OpenAiEndpoint.Create(server.BaseUrl, "m", "sk-very-secret-key"), new RunStoreDistributedCache(store)))
            Assert.Equal("cached text", (await client.GetResponseAsync(Hello)).Text);

        using (var store = RunStore.Open(db))
        using (var client = new ResponseCachingChatClient(OpenAiEndpoint.Create(server.BaseUrl, "m", "sk-very-secret-key"), new RunStoreDistributedCache(store)))
            Assert.Equal("cached text", (await client.GetResponseAsync(Hello)).Text);
        Assert.Single(server.Requests);

        var bytes = File.ReadAllBytes(db);
        Assert.Equal(-1, bytes.AsSpan().IndexOf("sk-very-secret-key"u8));
    }

    [Fact]
    public async Task Concurrency_limit_bounds_requests_in_flight()
    {
        var inner = new CountingChatClient(delay: TimeSpan.FromMilliseconds(30));
        using var client = inner.AsBuilder().UseConcurrencyLimit(2).Build();
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
        Assert.True(ChatRetry.IsTransient(new HttpRequestException("reset")));
        Assert.True(ChatRetry.IsTransient(new TimeoutException()));
        Assert.False(ChatRetry.IsTransient(new InvalidOperationException()));
        Assert.False(ChatRetry.IsTransient(new OperationCanceledException()));
    }

    [Fact]
    public async Task Tokens_per_minute_hold_back_a_request_the_budget_cannot_cover_until_it_refills()
    {
        var inner = new CountingChatClient();
        // 600 tokens a minute (10 a second); each request counts 101 prompt tokens + 199 output tokens = 300.
        using var client = inner.AsBuilder().UseTokensPerMinute(600).Build();
        ChatMessage[] big = [new(ChatRole.User, new string('x', 400))];
        var options = new ChatOptions { MaxOutputTokens = 199 };
        Assert.Equal(300, ChatRateLimits.EstimateTokens(big, options));
        await client.GetResponseAsync(big, options);
        await client.GetResponseAsync(big, options);
        using var cts = new CancellationTokenSource();
        var third = client.GetResponseAsync(big, options, cts.Token); // needs 300 more tokens: about 30 s of refill
        await Task.Delay(300);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, inner.Calls);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task Streaming_calls_are_cached_and_their_replays_marked()
    {
        var inner = new StreamingClient();
        using var client = new ResponseCachingChatClient(inner, new MemoryCache());
        var first = await client.GetStreamingResponseAsync(Hello).ToChatResponseAsync();
        var second = await client.GetStreamingResponseAsync(Hello).ToListAsync();
        Assert.Equal(1, inner.Calls);
        Assert.Equal("hello world", first.Text);
        Assert.Equal("hello world", second.ToChatResponse().Text);
        Assert.Null(first.AdditionalProperties?.GetValueOrDefault(ResponseCachingChatClient.CacheHitKey));
        Assert.Equal(true, second.ToChatResponse().AdditionalProperties?[ResponseCachingChatClient.CacheHitKey]);
    }

    private sealed class StreamingClient : IChatClient
    {
        public int Calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "hello");
            yield return new ChatResponseUpdate(ChatRole.Assistant, " world");
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task Logging_and_OpenTelemetry_are_off_by_default_and_trace_each_call_when_asked()
    {
        var source = "Hone.Tests." + Guid.NewGuid().ToString("N");
        var spans = new List<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var log = new ListLoggerFactory();

        using (var plain = ChatClientPipeline.Build(new CountingChatClient(), new ChatClientPipelineOptions { MaxRetries = 0 }))
            await plain.GetResponseAsync(Hello);
        Assert.Empty(spans);

        using var traced = ChatClientPipeline.Build(new CountingChatClient(), new ChatClientPipelineOptions
        {
            MaxRetries = 0, Cache = new MemoryCache(), OpenTelemetrySource = source, CallLogger = log,
        });
        await traced.GetResponseAsync(Hello);
        await traced.GetResponseAsync(Hello); // a cache hit never reaches the model: neither traced nor logged
        var span = Assert.Single(spans);
        Assert.Equal("fake-model", span.GetTagItem("gen_ai.request.model"));
        Assert.Equal(100, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(log.Lines, l => l.Contains("GetResponseAsync", StringComparison.Ordinal));
        Assert.Equal(2, log.Lines.Count(l => l.Contains("GetResponseAsync", StringComparison.Ordinal))); // invoked, completed
    }

    private sealed class ListLoggerFactory : ILoggerFactory, ILogger
    {
        public List<string> Lines { get; } = [];
        public void AddProvider(ILoggerProvider provider) { }
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add(formatter(state, exception));
        }
        public void Dispose() { }
    }
}
