using System.Text.Json.Nodes;
using Hone.Training.Loop;

namespace Hone.Remote;

/// <summary>
/// Together AI's fine-tuning REST API (a small typed client): <c>POST /files/upload</c> (multipart, purpose fine-tune),
/// <c>POST /fine-tunes</c> (LoRA, training_method sft or dpo with dpo_beta), <c>GET /fine-tunes/{id}</c>,
/// <c>GET /fine-tunes/{id}/events</c>, <c>POST /fine-tunes/{id}/cancel</c> and <c>GET /finetune/download</c> for the
/// adapter. The learning rate is Hone's: the LoRA base rate (2e-4) × the multiplier; total_price is in nanodollars.
/// </summary>
public sealed class TogetherFineTuning(HttpClient http, Uri baseUrl, string apiKey) : IRemoteFineTuning
{
    private readonly RestJson _rest = new(http, baseUrl, apiKey, "Together");

    /// <inheritdoc />
    public string Kind => "together";

    /// <inheritdoc />
    public bool CanDownload => true;

    /// <inheritdoc />
    public async Task<string> UploadAsync(string path, CancellationToken cancellationToken)
    {
        var r = await _rest.UploadAsync("files/upload", path, [("purpose", "fine-tune"), ("file_name", Path.GetFileName(path)), ("file_type", "jsonl")], cancellationToken).ConfigureAwait(false);
        return (string?)r["id"] ?? throw new RemoteException("Together: the upload answer has no file id.");
    }

    /// <summary>The JSON body of <c>POST /fine-tunes</c>.</summary>
    public static JsonObject CreateBody(RemoteJobRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var body = new JsonObject
        {
            ["model"] = r.BaseModel,
            ["training_file"] = r.TrainingFile,
            ["n_epochs"] = r.Epochs ?? 1,
            ["learning_rate"] = TrainerOptions.LoraBaseLearningRate * (r.LearningRateMultiplier ?? 1.0),
            ["batch_size"] = r.BatchSize is { } b ? b : "max",
            ["training_type"] = new JsonObject { ["type"] = "Lora", ["lora_r"] = r.LoraRank, ["lora_alpha"] = 2 * r.LoraRank },
            ["training_method"] = r.Method == RemoteMethod.Dpo
                ? new JsonObject { ["method"] = "dpo", ["dpo_beta"] = r.Beta ?? 0.1 }
                : new JsonObject { ["method"] = "sft" },
        };
        if (r.ValidationFile is not null)
        {
            body["validation_file"] = r.ValidationFile;
            body["n_evals"] = r.Epochs ?? 1;
        }
        if (r.Suffix is not null) body["suffix"] = r.Suffix;
        return body; // Together takes no seed

    }

    /// <inheritdoc />
    public async Task<RemoteJob> CreateAsync(RemoteJobRequest request, CancellationToken cancellationToken) =>
        Parse(await _rest.SendAsync(HttpMethod.Post, "fine-tunes", CreateBody(request), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<RemoteJob> GetAsync(string jobId, CancellationToken cancellationToken) =>
        Parse(await _rest.SendAsync(HttpMethod.Get, "fine-tunes/" + Uri.EscapeDataString(jobId), null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<IReadOnlyList<RemoteMetric>> GetMetricsAsync(string jobId, CancellationToken cancellationToken)
    {
        var r = await _rest.SendAsync(HttpMethod.Get, $"fine-tunes/{Uri.EscapeDataString(jobId)}/events", null, cancellationToken).ConfigureAwait(false);
        var list = new List<RemoteMetric>();
        foreach (var e in (r["data"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (e["step"] is not JsonValue s || !s.TryGetValue<long>(out var step)) continue;
            // Together's names → Hone's.
            foreach (var (from, to) in new[] { ("train_loss", "train_loss"), ("loss", "train_loss"), ("eval_loss", "valid_loss"), ("valid_loss", "valid_loss") })
                if (e[from] is JsonValue v && v.TryGetValue<double>(out var d)) list.Add(new RemoteMetric(step, to, d));
        }
        return [.. list.DistinctBy(m => (m.Step, m.Name)).OrderBy(m => m.Step)];
    }

    /// <inheritdoc />
    public Task CancelAsync(string jobId, CancellationToken cancellationToken) =>
        _rest.SendAsync(HttpMethod.Post, $"fine-tunes/{Uri.EscapeDataString(jobId)}/cancel", null, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> DownloadAdapterAsync(RemoteJob job, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        Directory.CreateDirectory(folder);
        using var response = await _rest.GetStreamAsync(_rest.Url($"finetune/download?ft_id={Uri.EscapeDataString(job.Id)}&checkpoint=adapter"), true, cancellationToken).ConfigureAwait(false);
        var archive = Path.Combine(folder, "adapter.download");
        await using (var file = File.Create(archive))
            await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        return AdapterArchive.Unpack(archive, folder);
    }

    /// <summary>A job's JSON as a <see cref="RemoteJob"/>.</summary>
    public static RemoteJob Parse(JsonObject j)
    {
        ArgumentNullException.ThrowIfNull(j);
        var status = (string?)j["status"] ?? "unknown";
        var state = status switch
        {
            "pending" or "queued" => RemoteState.Queued,
            "running" or "compressing" or "uploading" or "cancel_requested" => RemoteState.Running,
            "completed" => RemoteState.Succeeded,
            "cancelled" => RemoteState.Cancelled,
            _ => RemoteState.Failed,
        };
        decimal? cost = j["total_price"] is JsonValue p && p.TryGetValue<decimal>(out var nano) ? nano / 1_000_000_000m : null;
        long? tokens = j["token_count"] is JsonValue t && t.TryGetValue<long>(out var n) ? n : null;
        var output = (string?)j["output_name"] ?? (string?)j["model_output_name"];
        double? progress = j["total_steps"] is JsonValue ts && ts.TryGetValue<double>(out var total) && total > 0 && j["steps_completed"] is JsonValue sc && sc.TryGetValue<double>(out var done)
            ? Math.Clamp(done / total, 0, 1) : null;
        return new RemoteJob((string?)j["id"] ?? throw new RemoteException("Together: the job answer has no id."), state, status, output, tokens, cost,
            state == RemoteState.Failed ? (string?)j["error"] ?? (string?)j["message"] ?? status : null, progress);
    }
}
