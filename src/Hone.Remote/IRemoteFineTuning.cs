namespace Hone.Remote;

/// <summary>SFT or DPO.</summary>
public enum RemoteMethod
{
    /// <summary>Supervised fine-tuning.</summary>
    Sft,
    /// <summary>Direct preference optimisation.</summary>
    Dpo,
}

/// <summary>Where a remote job is, in one vocabulary for every provider.</summary>
public enum RemoteState
{
    /// <summary>Accepted, not training yet (validating, pending, queued).</summary>
    Queued,
    /// <summary>Training (or compressing, uploading the result).</summary>
    Running,
    /// <summary>Done; <see cref="RemoteJob.OutputModel"/> names the model.</summary>
    Succeeded,
    /// <summary>Stopped with an error.</summary>
    Failed,
    /// <summary>Cancelled.</summary>
    Cancelled,
}

/// <summary>What a job to create asks for; null hyperparameters are the provider's "auto".</summary>
/// <param name="Method">SFT or DPO.</param>
/// <param name="BaseModel">The provider's base model id.</param>
/// <param name="TrainingFile">The uploaded training file's id.</param>
/// <param name="ValidationFile">The uploaded validation file's id.</param>
/// <param name="Epochs">Epochs, or null for auto.</param>
/// <param name="LearningRateMultiplier">Multiplier of Hone's base rate (OpenAI's meaning), or null.</param>
/// <param name="BatchSize">Batch size, or null.</param>
/// <param name="Beta">DPO β, or null.</param>
/// <param name="Suffix">Suffix of the output model name.</param>
/// <param name="Seed">Seed, or null.</param>
/// <param name="LoraRank">LoRA rank where the provider takes one (Together, Fireworks).</param>
public sealed record RemoteJobRequest(RemoteMethod Method, string BaseModel, string TrainingFile, string? ValidationFile = null, int? Epochs = null,
    double? LearningRateMultiplier = null, int? BatchSize = null, double? Beta = null, string? Suffix = null, int? Seed = null, int LoraRank = 8);

/// <summary>A job as the provider reports it.</summary>
/// <param name="Id">The provider's job id.</param>
/// <param name="State">Normalised state.</param>
/// <param name="RawStatus">The provider's own status word.</param>
/// <param name="OutputModel">The tuned model's id once it exists.</param>
/// <param name="TrainedTokens">Tokens trained, when reported.</param>
/// <param name="CostUsd">The price the provider charged, when it reports one.</param>
/// <param name="Error">The error of a failed job.</param>
/// <param name="Progress">Share done in [0, 1], when known.</param>
public sealed record RemoteJob(string Id, RemoteState State, string RawStatus, string? OutputModel = null, long? TrainedTokens = null,
    decimal? CostUsd = null, string? Error = null, double? Progress = null)
{
    /// <summary>Whether the job has ended.</summary>
    public bool IsFinal => State is RemoteState.Succeeded or RemoteState.Failed or RemoteState.Cancelled;
}

/// <summary>One metric value at a step, under Hone's metric names (train_loss, valid_loss, train_mean_token_accuracy, ...).</summary>
public sealed record RemoteMetric(long Step, string Name, double Value);

/// <summary>
/// A hosted fine-tuning service: upload, create, poll, metrics, cancel and (where the weights may be downloaded) the
/// adapter. One implementation per API shape: <see cref="OpenAiFineTuning"/> (OpenAI, Azure OpenAI, hone serve),
/// <see cref="TogetherFineTuning"/>, <see cref="FireworksFineTuning"/>.
/// </summary>
public interface IRemoteFineTuning
{
    /// <summary>The API shape: openai, together or fireworks.</summary>
    string Kind { get; }

    /// <summary>Whether <see cref="DownloadAdapterAsync"/> can fetch the weights.</summary>
    bool CanDownload { get; }

    /// <summary>Uploads a JSONL file; returns its id.</summary>
    Task<string> UploadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Creates a job.</summary>
    Task<RemoteJob> CreateAsync(RemoteJobRequest request, CancellationToken cancellationToken);

    /// <summary>The job now.</summary>
    Task<RemoteJob> GetAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The metrics reported so far, under Hone's names.</summary>
    Task<IReadOnlyList<RemoteMetric>> GetMetricsAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Cancels the job.</summary>
    Task CancelAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Downloads the tuned adapter (or model) files into <paramref name="folder"/>; returns the files written.</summary>
    Task<IReadOnlyList<string>> DownloadAdapterAsync(RemoteJob job, string folder, CancellationToken cancellationToken);
}
