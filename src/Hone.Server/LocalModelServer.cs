using Hone.App;
using Hone.App.Models;
using Hone.App.Training;
using Hone.FineTuning;
using Hone.Models.Chat;
using Hone.Numerics;
using Hone.Store;

namespace Hone.Server;

/// <summary>What <see cref="LocalModelServer.StartAsync"/> is asked: a local model served over the OpenAI API.</summary>
/// <param name="Model">The model (tokenizer, template and adapter applied).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace (for the fine-tuning API) is looked for.</param>
public sealed record ServeRequest(LocalModel Model, string WorkingDirectory)
{
    /// <summary>The address to bind.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port (0: any free port).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The API key given on the command line, or null.</summary>
    public string? ApiKey { get; init; }

    /// <summary>A file whose first line is the API key (at <see cref="WorkingDirectory"/>), or null.</summary>
    public string? ApiKeyFile { get; init; }

    /// <summary>Reads an environment variable (the API key's last source); null: none is read.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>Requests generating at the same time.</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Requests waiting for a slot before 429.</summary>
    public int MaxQueue { get; init; } = 16;

    /// <summary>Worker threads.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Offer OpenAI's fine-tuning API when inside a workspace.</summary>
    public bool FineTuning { get; init; } = true;

    /// <summary>LoRA rank of fine-tuning jobs.</summary>
    public int LoraRank { get; init; } = 8;
}

/// <summary>The result of starting <see cref="LocalModelServer"/> (the <c>--json</c> document of <c>hone serve</c>).</summary>
/// <param name="Url">The base address (the real port when 0 was asked for).</param>
/// <param name="Model">The model id served.</param>
/// <param name="Template">Where the chat template came from.</param>
/// <param name="ApiKey">Where the API key came from (never the key).</param>
/// <param name="FineTuning">The fine-tuning API's folder, or null when it is off.</param>
public sealed record ServeStarted(string Url, string Model, string Template, string ApiKey, string? FineTuning);

/// <summary>
/// Use case "serve a local model": the model loaded as a <see cref="LocalChatClient"/> (the client chat and generate
/// use), the OpenAI HTTP API, and inside a workspace the fine-tuning API with jobs in its run store.
/// </summary>
public sealed class LocalModelServer : IAsyncDisposable
{
    private readonly WorkerPool? _pool;
    private readonly LocalChatClient _client;
    private readonly FineTuningService? _fineTuning;
    private readonly HoneServer _server;

    private LocalModelServer(WorkerPool? pool, LocalChatClient client, FineTuningService? fineTuning, HoneServer server, ServeStarted started)
    {
        _pool = pool;
        _client = client;
        _fineTuning = fineTuning;
        _server = server;
        Started = started;
    }

    /// <summary>What was started.</summary>
    public ServeStarted Started { get; }

    /// <summary>
    /// Checks the request, resolves the API key (<see cref="ApiKeySource.Rule"/>; its warnings go to
    /// <paramref name="onWarning"/> before the model is loaded), loads the model and starts serving.
    /// </summary>
    public static async Task<LocalModelServer> StartAsync(ServeRequest request, Action<string>? onWarning = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = ApiKeySource.Resolve(request.ApiKey,
            request.ApiKeyFile is { } f ? Path.GetFullPath(Path.Combine(request.WorkingDirectory, f)) : null, request.Environment ?? (_ => null));
        var options = new ServerOptions
        {
            Host = request.Host, Port = request.Port, ApiKey = key.Key, MaxConcurrency = request.MaxConcurrency, MaxQueue = request.MaxQueue,
        }.Validate();
        foreach (var warning in key.Warnings) onWarning?.Invoke(warning);
        if (request.Threads < 1) throw new UseCaseException($"--threads {request.Threads} must be ≥ 1.");
        var pool = request.Threads > 1 ? new WorkerPool(request.Threads) : null;
        LocalChatClient? client = null;
        FineTuningService? fineTuning = null;
        try
        {
            var model = request.Model;
            client = model.LoadClient(new LocalChatClientOptions { Pool = pool, MaxPooledSessions = options.MaxConcurrency });
            var ws = request.FineTuning ? Workspace.Find(request.WorkingDirectory) : null;
            fineTuning = ws is null ? null : FineTuningService.Start(new FineTuningOptions
            {
                DatabasePath = ws.DatabasePath, Folder = Path.Combine(ws.StateDir, "fine_tuning"), BaseModelId = client.ModelId, BaseModelPath = model.Path,
                TokenizerPath = model.Tokenizer, Template = model.Template, Threads = request.Threads, LoraRank = request.LoraRank,
                LoadReward = RewardFromGraders.FromFile,
            });
            var server = await HoneServer.StartAsync(client, options, null, fineTuning, cancellationToken).ConfigureAwait(false);
            return new LocalModelServer(pool, client, fineTuning, server,
                new ServeStarted(server.BaseAddress.ToString(), server.ModelId, client.Encoder.TemplateSource, key.Origin, fineTuning?.Options.Folder));
        }
        catch
        {
            if (fineTuning is not null) await fineTuning.DisposeAsync().ConfigureAwait(false);
            client?.Dispose();
            pool?.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the server is shut down or <paramref name="cancellationToken"/> is cancelled (which is not an error).</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the server, then the fine-tuning service, the client and the pool.</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_fineTuning is not null) await _fineTuning.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _pool?.Dispose();
    }
}
