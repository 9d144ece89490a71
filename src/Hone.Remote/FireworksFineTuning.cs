using System.Text.Json.Nodes;
using Hone.Training.Loop;

namespace Hone.Remote;

/// <summary>
/// Fireworks AI's fine-tuning REST API (a small typed client) under <c>/v1/accounts/{account}</c>: a dataset
/// (<c>POST /datasets</c>, then <c>POST /datasets/{id}:upload</c>), <c>supervisedFineTuningJobs</c> or <c>dpoJobs</c>
/// (trainingConfig, lossConfig DPO with klBeta), polling by job name, cancel by <c>DELETE</c>, and the tuned model's
/// files through <c>models/{id}:getDownloadEndpoint</c>. The learning rate is Hone's: the LoRA base rate (2e-4) × the
/// multiplier; Fireworks' batch size counts tokens, so Hone's (examples) is not sent.
/// </summary>
public sealed class FireworksFineTuning(HttpClient http, Uri baseUrl, string apiKey, string account) : IRemoteFineTuning
{
    private readonly RestJson _rest = new(http, baseUrl, apiKey, "Fireworks");

    /// <inheritdoc />
    public string Kind => "fireworks";

    /// <inheritdoc />
    public bool CanDownload => true;

    private string Account => "accounts/" + Uri.EscapeDataString(account);

    /// <inheritdoc />
    public async Task<string> UploadAsync(string path, CancellationToken cancellationToken)
    {
        var id = "hone-" + Path.GetFileNameWithoutExtension(path).ToLowerInvariant().Replace('_', '-').Replace('.', '-') + "-" + Guid.NewGuid().ToString("N")[..6];
        var lines = File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l));
        await _rest.SendAsync(HttpMethod.Post, Account + "/datasets", DatasetBody(id, lines), cancellationToken).ConfigureAwait(false);
        await _rest.UploadAsync($"{Account}/datasets/{id}:upload", path, [], cancellationToken).ConfigureAwait(false);
        return $"{Account}/datasets/{id}";
    }

    /// <summary>The JSON body that creates the dataset <paramref name="id"/>.</summary>
    public static JsonObject DatasetBody(string id, int examples) => new()
    {
        ["datasetId"] = id,
        ["dataset"] = new JsonObject { ["userUploaded"] = new JsonObject(), ["exampleCount"] = examples.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    /// <summary>The JSON body that creates the job (SFT: flat; DPO: trainingConfig and lossConfig).</summary>
    public static JsonObject CreateBody(RemoteJobRequest r, string account)
    {
        ArgumentNullException.ThrowIfNull(r);
        var config = new JsonObject
        {
            ["baseModel"] = r.BaseModel,
            ["epochs"] = r.Epochs ?? 1,
            ["learningRate"] = TrainerOptions.LoraBaseLearningRate * (r.LearningRateMultiplier ?? 1.0),
            ["loraRank"] = r.LoraRank,
        };
        if (r.Suffix is not null) config["outputModel"] = $"accounts/{account}/models/{r.Suffix}";
        if (r.Method == RemoteMethod.Dpo)
        {
            var dpo = new JsonObject
            {
                ["dataset"] = r.TrainingFile,
                ["trainingConfig"] = config,
                ["lossConfig"] = new JsonObject { ["method"] = "DPO", ["klBeta"] = r.Beta ?? 0.1 },
            };
            return dpo;
        }
        var sft = new JsonObject { ["dataset"] = r.TrainingFile };
        foreach (var (k, v) in config) sft[k] = v?.DeepClone();
        if (r.ValidationFile is not null) sft["evaluationDataset"] = r.ValidationFile;
        return sft;
    }

    /// <inheritdoc />
    public async Task<RemoteJob> CreateAsync(RemoteJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var collection = request.Method == RemoteMethod.Dpo ? "dpoJobs" : "supervisedFineTuningJobs";
        return Parse(await _rest.SendAsync(HttpMethod.Post, $"{Account}/{collection}", CreateBody(request, account), cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<RemoteJob> GetAsync(string jobId, CancellationToken cancellationToken) =>
        Parse(await _rest.SendAsync(HttpMethod.Get, jobId, null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public Task<IReadOnlyList<RemoteMetric>> GetMetricsAsync(string jobId, CancellationToken cancellationToken) =>
        // The job reports progress only (jobProgress); the loss curves live in the trainer logs / W&B.
        Task.FromResult<IReadOnlyList<RemoteMetric>>([]);

    /// <inheritdoc />
    public Task CancelAsync(string jobId, CancellationToken cancellationToken) => _rest.SendAsync(HttpMethod.Delete, jobId, null, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> DownloadAdapterAsync(RemoteJob job, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var model = job.OutputModel ?? throw new RemoteException($"Fireworks job {job.Id} has no output model yet.");
        var r = await _rest.SendAsync(HttpMethod.Get, model + ":getDownloadEndpoint", null, cancellationToken).ConfigureAwait(false);
        var urls = r["filenameToSignedUrls"] as JsonObject ?? throw new RemoteException("Fireworks: the download answer has no filenameToSignedUrls.");
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var (name, url) in urls)
        {
            var safe = Path.GetFileName(name);
            if (safe.Length == 0 || safe != name.Replace('\\', '/').Split('/')[^1]) throw new RemoteException($"Fireworks: refusing the file name '{name}'.");
            using var response = await _rest.GetStreamAsync(new Uri((string)url!), false, cancellationToken).ConfigureAwait(false);
            var path = Path.Combine(folder, safe);
            await using (var file = File.Create(path))
                await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }
        return written;
    }

    /// <summary>A job's JSON as a <see cref="RemoteJob"/>.</summary>
    public static RemoteJob Parse(JsonObject j)
    {
        ArgumentNullException.ThrowIfNull(j);
        var status = (string?)j["state"] ?? "JOB_STATE_UNSPECIFIED";
        var state = status switch
        {
            "JOB_STATE_CREATING" or "JOB_STATE_PENDING" or "JOB_STATE_VALIDATING" => RemoteState.Queued,
            "JOB_STATE_RUNNING" or "JOB_STATE_WRITING_RESULTS" or "JOB_STATE_CANCELLING" => RemoteState.Running,
            "JOB_STATE_COMPLETED" => RemoteState.Succeeded,
            "JOB_STATE_CANCELLED" => RemoteState.Cancelled,
            "JOB_STATE_UNSPECIFIED" => RemoteState.Queued,
            _ => RemoteState.Failed,
        };
        var output = (string?)j["outputModel"] ?? (string?)j["trainingConfig"]?["outputModel"];
        double? progress = j["jobProgress"]?["percent"] is JsonValue p && p.TryGetValue<double>(out var pct) ? pct / 100 : null;
        long? tokens = j["jobProgress"]?["inputTokens"] is JsonValue t && t.TryGetValue<long>(out var n) ? n : null;
        return new RemoteJob((string?)j["name"] ?? throw new RemoteException("Fireworks: the job answer has no name."), state, status, output, tokens, null,
            state == RemoteState.Failed ? (string?)j["status"]?["message"] ?? status : null, progress);
    }
}
