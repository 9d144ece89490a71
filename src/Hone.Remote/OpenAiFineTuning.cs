#pragma warning disable OPENAI001 // the SDK marks fine-tuning as experimental
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Files;
using OpenAI.FineTuning;

namespace Hone.Remote;

/// <summary>
/// OpenAI's fine-tuning API through the official SDK: api.openai.com, Azure OpenAI's <c>/openai/v1/</c> endpoint, and
/// <c>hone serve</c> itself. The job is created with the method object (supervised or dpo) and its hyperparameters;
/// metrics come from the job's metrics events (whose names are Hone's: train_loss, train_mean_token_accuracy, valid_loss,
/// ...). The weights cannot be downloaded.
/// </summary>
public sealed class OpenAiFineTuning : IRemoteFineTuning
{
    private readonly OpenAIFileClient _files;
    private readonly FineTuningClient _jobs;

    /// <summary>A client for the API at <paramref name="endpoint"/> (e.g. https://api.openai.com/v1, https://RES.openai.azure.com/openai/v1/).</summary>
    public OpenAiFineTuning(Uri endpoint, string apiKey, PipelinePolicy? observer = null)
    {
        var options = new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = TimeSpan.FromMinutes(5) };
        if (observer is not null) options.AddPolicy(observer, PipelinePosition.PerCall);
        var client = new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(apiKey) ? "none" : apiKey), options);
        _files = client.GetOpenAIFileClient();
        _jobs = client.GetFineTuningClient();
    }

    /// <inheritdoc />
    public string Kind => "openai";

    /// <inheritdoc />
    public bool CanDownload => false;

    /// <inheritdoc />
    public async Task<string> UploadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var file = await Call(() => _files.UploadFileAsync(stream, Path.GetFileName(path), FileUploadPurpose.FineTune, cancellationToken)).ConfigureAwait(false);
        return file.Value.Id;
    }

    /// <summary>The JSON body of the create request (kept apart so tests check it field by field).</summary>
    public static JsonObject CreateBody(RemoteJobRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var hyper = new JsonObject
        {
            ["n_epochs"] = r.Epochs is { } e ? e : "auto",
            ["batch_size"] = r.BatchSize is { } b ? b : "auto",
            ["learning_rate_multiplier"] = r.LearningRateMultiplier is { } l ? l : "auto",
        };
        var method = r.Method == RemoteMethod.Dpo ? "dpo" : "supervised";
        if (r.Method == RemoteMethod.Dpo) hyper["beta"] = r.Beta is { } beta ? beta : "auto";
        var body = new JsonObject
        {
            ["model"] = r.BaseModel,
            ["training_file"] = r.TrainingFile,
            ["method"] = new JsonObject { ["type"] = method, [method] = new JsonObject { ["hyperparameters"] = hyper } },
        };
        if (r.ValidationFile is not null) body["validation_file"] = r.ValidationFile;
        if (r.Suffix is not null) body["suffix"] = r.Suffix;
        if (r.Seed is not null) body["seed"] = r.Seed;
        return body;
    }

    /// <inheritdoc />
    public async Task<RemoteJob> CreateAsync(RemoteJobRequest request, CancellationToken cancellationToken)
    {
        var job = await Call(() => _jobs.FineTuneAsync(BinaryContent.Create(BinaryData.FromString(CreateBody(request).ToJsonString())), false,
            new RequestOptions { CancellationToken = cancellationToken })).ConfigureAwait(false);
        return Parse(job.GetRawResponse().Content);
    }

    /// <inheritdoc />
    public async Task<RemoteJob> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = await Call(() => _jobs.GetJobAsync(jobId, cancellationToken)).ConfigureAwait(false);
        return Parse(job.GetRawResponse().Content);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RemoteMetric>> GetMetricsAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = await _jobs.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        var metrics = new List<RemoteMetric>();
        await foreach (var e in job.GetEventsAsync(new GetEventsOptions { PageSize = 100 }, cancellationToken).ConfigureAwait(false))
        {
            if (e.Kind != FineTuningJobEventKind.Metrics || e.Data is null) continue;
            metrics.AddRange(MetricsOf(JsonNode.Parse(e.Data.ToString()) as JsonObject));
        }
        return [.. metrics.OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal)];
    }

    /// <summary>The numeric fields of a metrics event's data (step, then every metric; total_steps is not one).</summary>
    public static IEnumerable<RemoteMetric> MetricsOf(JsonObject? data)
    {
        if (data?["step"] is not JsonValue s || !s.TryGetValue<long>(out var step)) yield break;
        foreach (var (name, value) in data)
            if (name is not ("step" or "total_steps") && value is JsonValue v && v.TryGetValue<double>(out var d))
                yield return new RemoteMetric(step, name, d);
    }

    /// <inheritdoc />
    public async Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        var job = await _jobs.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        await job.CancelAndUpdateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> DownloadAdapterAsync(RemoteJob job, string folder, CancellationToken cancellationToken) =>
        throw new RemoteException("OpenAI-shaped services do not let the weights be downloaded; evaluate the model where it is served (hone eval with the provider model).");

    /// <summary>Runs an SDK call; a refusal becomes a <see cref="RemoteException"/> with the service's message.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ClientResultException e)
        {
            var body = e.GetRawResponse()?.Content?.ToString();
            string? message = null;
            try
            {
                message = body is null ? null : (string?)JsonNode.Parse(body)?["error"]?["message"];
            }
            catch (JsonException)
            {
            }
            throw new RemoteException($"The service answered {e.Status}: {message ?? e.Message}", e);
        }
    }

    /// <summary>A job's JSON as a <see cref="RemoteJob"/>.</summary>
    public static RemoteJob Parse(BinaryData json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var j = JsonNode.Parse(json.ToString())!.AsObject();
        var status = (string?)j["status"] ?? "unknown";
        var state = status switch
        {
            "validating_files" or "queued" or "paused" => RemoteState.Queued,
            "running" => RemoteState.Running,
            "succeeded" => RemoteState.Succeeded,
            "cancelled" => RemoteState.Cancelled,
            _ => RemoteState.Failed,
        };
        long? tokens = j["trained_tokens"] is JsonValue t && t.TryGetValue<long>(out var n) ? n : null;
        var error = j["error"] is JsonObject err && err["message"] is { } m ? (string?)m : null;
        return new RemoteJob((string)j["id"]!, state, status, (string?)j["fine_tuned_model"], tokens, null, error);
    }
}

/// <summary>A remote service refused or failed a request; the message says what and how to go on.</summary>
public sealed class RemoteException : Exception
{
    /// <summary>Creates the error.</summary>
    public RemoteException() { }

    /// <summary>Creates the error.</summary>
    public RemoteException(string message) : base(message) { }

    /// <summary>Creates the error.</summary>
    public RemoteException(string message, Exception inner) : base(message, inner) { }
}
