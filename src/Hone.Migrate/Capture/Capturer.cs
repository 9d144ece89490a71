using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Capture;

/// <summary>
/// Records a hosted model's answers to the team's inputs into the migration's capture: a golden set whose every case
/// keeps the source model, the date and the sampling settings. Requests go through the Evals provider pipeline
/// (<see cref="ChatClientPipeline"/>: the run store's response cache, retries honouring Retry-After, the concurrency
/// limit, the provider's tokens-per-minute limit, token and cost accounting). Each answer is appended to the capture as
/// it arrives, so a killed capture resumes where it stopped: cases already in the capture are not sent again, and an
/// answer that arrived but was not yet written comes from the response cache, so nothing is paid twice. The API key is
/// read from the provider's environment variable and held only in memory.
/// </summary>
public sealed class Capturer
{
    private readonly MigrationFolder _folder;
    private readonly CaptureOptions _options;
    private readonly ProviderConfig _provider;
    private readonly IChatClient _endpoint;
    private readonly int? _tokensPerMinute;

    /// <summary>Prepares a capture in <paramref name="folder"/> from the provider <see cref="CaptureOptions.Provider"/> of <paramref name="config"/>.</summary>
    /// <param name="folder">The migration folder.</param>
    /// <param name="config">The workspace configuration (its providers).</param>
    /// <param name="options">The options.</param>
    /// <param name="environment">Reads environment variables (default: the process's); the key is read from the provider's variable.</param>
    public Capturer(MigrationFolder folder, WorkspaceConfig config, CaptureOptions options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(config);
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        _folder = folder;
        if (!config.Providers.TryGetValue(options.Provider, out var provider))
            throw new MigrateException($"No provider '{options.Provider}' in hone.yaml; add providers: {{{options.Provider}: {{base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY}}}}.");
        _provider = provider;
        _tokensPerMinute = provider.TokensPerMinute;
        try
        {
            _endpoint = new ChatModelResolver(config, null, environment).Resolve(options.Provider + ":" + options.Model);
        }
        catch (ArgumentException e)
        {
            throw new MigrateException(e.Message, e);
        }
    }

    /// <summary>The ids already in the capture (complete lines only).</summary>
    public static HashSet<string> CapturedIds(MigrationFolder folder) => [.. CaptureFile.Read(folder.CaptureFile).Select(c => c.Id)];

    /// <summary>The cost and time of capturing <paramref name="inputs"/>, before anything is sent.</summary>
    public CaptureEstimate Estimate(IReadOnlyList<CaseInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var done = CapturedIds(_folder);
        var todo = inputs.Where(i => !done.Contains(i.Id)).ToList();
        long input = todo.Sum(i => i.Messages.Sum(m => (long)(m.Content.Length + 3) / 4 + 4));
        long output = (long)todo.Count * (_options.Settings.MaxTokens ?? _options.AssumedOutputTokens);
        decimal? cost = _options.Price?.Cost(input, output);
        var seconds = todo.Count * _options.AssumedSecondsPerCall / _options.Concurrency;
        if (_tokensPerMinute is { } tpm) seconds = Math.Max(seconds, (input + output) * 60.0 / tpm);
        var method = $"about 4 characters a token; at most {(_options.Settings.MaxTokens is { } m ? $"{m} (max tokens)" : $"{_options.AssumedOutputTokens} (assumed)")} completion tokens a request; " +
            $"{_options.AssumedSecondsPerCall:0.#} s a request, {_options.Concurrency} at once" + (_tokensPerMinute is { } t ? $", within {t:N0} tokens a minute" : "");
        return new CaptureEstimate(inputs.Count, inputs.Count - todo.Count, todo.Count, input, output, cost, seconds, method);
    }

    /// <summary>Captures every input not yet in the capture; <paramref name="progress"/> gets the number of cases done.</summary>
    public async Task<CaptureResult> RunAsync(IReadOnlyList<CaseInput> inputs, RunStore? store, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(_folder.Root);
        var existing = CaptureFile.Repair(_folder.CaptureFile);
        var done = existing.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var todo = inputs.Where(i => !done.Contains(i.Id)).ToList();
        var ledger = new UsageLedger();
        using var client = ChatClientPipeline.Build(_endpoint, new ChatClientPipelineOptions
        {
            Cache = store is null ? null : new RunStoreDistributedCache(store),
            MaxRetries = _options.MaxRetries,
            MaxConcurrency = _options.Concurrency,
            Ledger = ledger,
            Price = _options.Price,
        });
        WriteManifest(inputs.Count, null);
        var settings = _options.Settings;
        var chatOptions = new ChatOptions
        {
            ModelId = _options.Model,
            Temperature = (float?)settings.Temperature,
            TopP = (float?)settings.TopP,
            MaxOutputTokens = settings.MaxTokens,
            Seed = settings.Seed,
        };
        var gate = new Lock();
        var errors = new List<string>();
        int cacheHits = 0, finished = existing.Count;
        using var writer = new StreamWriter(new FileStream(_folder.CaptureFile, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken }, async (input, ct) =>
        {
            var messages = input.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
            var started = Stopwatch.GetTimestamp();
            ChatResponse response;
            try
            {
                response = await client.GetResponseAsync(messages, chatOptions.Clone(), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                lock (gate) errors.Add($"{input.Id}: {e.Message}");
                return;
            }
            var hit = response.AdditionalProperties?.TryGetValue(ResponseCachingChatClient.CacheHitKey, out var h) == true && h is true;
            var line = CaseLine(input, response, hit, Stopwatch.GetElapsedTime(started).TotalMilliseconds).ToJsonString();
            lock (gate)
            {
                writer.WriteLine(line);
                writer.Flush(); // one complete line per answer: what a kill leaves is a valid capture
                if (hit) cacheHits++;
                finished++;
            }
            progress?.Report(finished);
        }).ConfigureAwait(false);
        writer.Close();
        var result = new CaptureResult(inputs.Count, CaptureFile.Read(_folder.CaptureFile).Count, existing.Count, ledger.Calls, cacheHits, errors.Count,
            ledger.InputTokens, ledger.OutputTokens, _options.Price is null ? null : ledger.Cost, clock.Elapsed.TotalSeconds, [.. errors.Take(10)]);
        WriteManifest(inputs.Count, result);
        return result;
    }

    private JsonObject CaseLine(CaseInput input, ChatResponse response, bool cacheHit, double latencyMs)
    {
        long inTok = response.Usage?.InputTokenCount ?? 0, outTok = response.Usage?.OutputTokenCount ?? 0;
        return new JsonObject
        {
            ["id"] = input.Id,
            ["tags"] = new JsonArray([.. input.Tags.Select(t => (JsonNode)t)]),
            ["messages"] = input.MessagesJson(),
            ["reference"] = response.Text,
            ["finish_reason"] = response.FinishReason?.Value,
            ["source"] = new JsonObject
            {
                ["provider"] = _options.Provider,
                ["base_url"] = _provider.BaseUrl,
                ["model"] = _options.Model,
                ["served_model"] = response.ModelId,
                ["captured_at"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["settings"] = _options.Settings.ToJson(),
            },
            ["usage"] = new JsonObject { ["input_tokens"] = inTok, ["output_tokens"] = outTok },
            ["cost_usd"] = _options.Price?.Cost(inTok, outTok),
            ["latency_ms"] = cacheHit ? null : Math.Round(latencyMs, 1),
            ["cache_hit"] = cacheHit,
        };
    }

    private void WriteManifest(int cases, CaptureResult? result)
    {
        var all = CaptureFile.Read(_folder.CaptureFile);
        MigrationFolder.WriteJson(_folder.CaptureManifest, new JsonObject
        {
            ["format"] = "hone-migrate-capture/1",
            ["source"] = new JsonObject { ["provider"] = _options.Provider, ["base_url"] = _provider.BaseUrl, ["model"] = _options.Model },
            ["settings"] = _options.Settings.ToJson(),
            ["price"] = _options.Price is { } p ? new JsonObject { ["input_per_1m"] = p.InputPer1M, ["output_per_1m"] = p.OutputPer1M } : null,
            ["inputs"] = cases,
            ["captured"] = all.Count,
            ["status"] = result is null ? "running" : result.Errors > 0 ? "incomplete" : "complete",
            ["updated_at"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["last_run"] = result is null ? null : JsonSerializer.SerializeToNode(result, CaptureFile.JsonOptions),
        });
    }
}
