using System.Diagnostics;
using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Cost;
using Hone.Data.Model;
using Hone.Store;

namespace Hone.Remote;

/// <summary>Options of <c>hone remote train sft|dpo</c>, validated once.</summary>
public sealed record RemoteTrainOptions
{
    /// <summary>SFT or DPO.</summary>
    public RemoteMethod Method { get; init; }

    /// <summary>The training JSONL (OpenAI chat or preference format).</summary>
    public required string DataFile { get; init; }

    /// <summary>A validation JSONL.</summary>
    public string? ValidFile { get; init; }

    /// <summary>The provider's base model id.</summary>
    public required string BaseModel { get; init; }

    /// <summary>Epochs (null = auto).</summary>
    public int? Epochs { get; init; }

    /// <summary>Learning-rate multiplier (null = auto).</summary>
    public double? LearningRateMultiplier { get; init; }

    /// <summary>Batch size (null = auto).</summary>
    public int? BatchSize { get; init; }

    /// <summary>DPO β (null = auto).</summary>
    public double? Beta { get; init; }

    /// <summary>Suffix of the model name.</summary>
    public string? Suffix { get; init; }

    /// <summary>Seed.</summary>
    public int? Seed { get; init; }

    /// <summary>LoRA rank (Together, Fireworks).</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary>Time between polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Training price per 1M tokens for the estimate (else the price table's, when it knows the model).</summary>
    public decimal? PricePer1M { get; init; }

    /// <summary>Throws <see cref="RemoteException"/> naming a bad option.</summary>
    public RemoteTrainOptions Validate()
    {
        if (!File.Exists(DataFile)) throw new RemoteException($"--data '{DataFile}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new RemoteException($"--valid '{ValidFile}' not found.");
        if (string.IsNullOrWhiteSpace(BaseModel)) throw new RemoteException("--model (the provider's base model) is required.");
        if (Epochs is < 1 or > 50) throw new RemoteException($"--epochs {Epochs} must be auto or 1..50.");
        if (LearningRateMultiplier is { } l && !(l > 0 && l <= 10)) throw new RemoteException($"--lr-multiplier {l} must be in (0, 10].");
        if (BatchSize is < 1 or > 256) throw new RemoteException($"--batch-size {BatchSize} must be auto or 1..256.");
        if (Beta is { } b && !(b > 0 && b <= 2)) throw new RemoteException($"--beta {b} must be in (0, 2].");
        if (Beta is not null && Method != RemoteMethod.Dpo) throw new RemoteException("--beta is a DPO option.");
        if (LoraRank is < 1 or > 256) throw new RemoteException($"--lora-rank {LoraRank} must be 1..256.");
        if (PollInterval < TimeSpan.Zero) throw new RemoteException("--poll-seconds must be ≥ 0.");
        return this;
    }
}

/// <summary>What a remote run did.</summary>
/// <param name="RunId">The run in the run store (kind remote-sft or remote-dpo).</param>
/// <param name="Job">The job as last seen.</param>
/// <param name="EvalModel">The model as <c>hone eval</c> names it (provider:model), once succeeded.</param>
/// <param name="CostUsd">The cost: the provider's charge, else the estimate.</param>
/// <param name="CostSource">provider, estimate (price table or --price-per-1m) or unknown.</param>
/// <param name="Metrics">Metric values recorded.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record RemoteTrainResult(string RunId, RemoteJob Job, string? EvalModel, decimal? CostUsd, string CostSource, int Metrics, double Seconds);

/// <summary>
/// Runs a fine-tuning job on a hosted service end to end: the data check first (errors stop it before anything is
/// uploaded or spent), the cost estimate, upload, create, poll with progress, the metrics into the run store under Hone's
/// names, the cost recorded, and the result registered (tags fine_tuned_model and eval_model) so <c>hone eval</c> can test it.
/// </summary>
public static class RemoteTrainer
{
    /// <summary>The run kind for <paramref name="method"/>.</summary>
    public static string RunKind(RemoteMethod method) => method == RemoteMethod.Dpo ? "remote-dpo" : "remote-sft";

    /// <summary>Checks the data: the report, or a <see cref="RemoteException"/> with the first errors.</summary>
    public static DataCheckReport Check(RemoteTrainOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var report = new DataChecker(new DataCheckOptions
        {
            Kind = o.Method == RemoteMethod.Dpo ? DataKind.Dpo : DataKind.Sft,
            Epochs = o.Epochs, PricePer1M = o.PricePer1M, Model = o.BaseModel, ValidFile = o.ValidFile, FindNearDuplicates = false,
        }).Check(o.DataFile);
        if (report.Errors > 0)
            throw new RemoteException($"{o.DataFile}: the data check found {report.Errors} error(s); nothing was uploaded. " +
                string.Join(" | ", report.Findings.Where(f => f.Severity == FindingSeverity.Error).Take(5)) + " (`hone data check` lists them all.)");
        return report;
    }

    /// <summary>Runs the job (and waits for it to end); the run is recorded in <paramref name="store"/>.</summary>
    public static async Task<RemoteTrainResult> RunAsync(IRemoteFineTuning service, RemoteProvider provider, RemoteTrainOptions o, RunStore store,
        IProgress<RemoteJob>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(store);
        o.Validate();
        var clock = Stopwatch.StartNew();
        var report = Check(o);
        var options = JsonSerializer.Serialize(new
        {
            provider = provider.Name, kind = provider.Kind, base_url = provider.BaseUrl.ToString(), method = o.Method.ToString().ToLowerInvariant(),
            data = Path.GetFullPath(o.DataFile), valid = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile), model = o.BaseModel,
            epochs = o.Epochs, lr_multiplier = o.LearningRateMultiplier, batch_size = o.BatchSize, beta = o.Beta, suffix = o.Suffix, seed = o.Seed, lora_rank = o.LoraRank,
        });
        var run = store.CreateRun(RunKind(o.Method), $"{provider.Name}:{o.BaseModel}", options);
        store.SetTag(run.Id, "provider", provider.Name);
        RemoteJob job;
        try
        {
            var train = await service.UploadAsync(o.DataFile, ct).ConfigureAwait(false);
            var valid = o.ValidFile is null ? null : await service.UploadAsync(o.ValidFile, ct).ConfigureAwait(false);
            job = await service.CreateAsync(new RemoteJobRequest(o.Method, o.BaseModel, train, valid, o.Epochs, o.LearningRateMultiplier, o.BatchSize, o.Beta,
                o.Suffix, o.Seed, o.LoraRank), ct).ConfigureAwait(false);
            store.SetTag(run.Id, "job_id", job.Id);
            progress?.Report(job);
            while (!job.IsFinal)
            {
                await Task.Delay(o.PollInterval, ct).ConfigureAwait(false);
                job = await service.GetAsync(job.Id, ct).ConfigureAwait(false);
                progress?.Report(job);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            store.SetStatus(run.Id, RunStatus.Cancelled);
            if (store.GetTags(run.Id).TryGetValue("job_id", out var id)) await service.CancelAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch
        {
            store.SetStatus(run.Id, RunStatus.Failed);
            throw;
        }

        var metrics = await service.GetMetricsAsync(job.Id, ct).ConfigureAwait(false);
        foreach (var step in metrics.GroupBy(m => m.Step))
            store.LogMetrics(run.Id, step.Key, [.. step.Select(m => new KeyValuePair<string, double>(m.Name, m.Value))]);
        var (cost, source) = job.CostUsd is { } c ? (c, "provider")
            : job.TrainedTokens is { } t && report.Cost?.PricePer1M is { } price ? (t * price / 1_000_000m, "estimate: trained tokens × " + report.Cost.PriceSource)
            : report.Cost?.EstimatedUsd is { } e ? (e, "estimate: data check (" + report.Cost.PriceSource + ")")
            : ((decimal?)null, "unknown: no price for this model (give --price-per-1m)");
        string? evalModel = null;
        if (job.State == RemoteState.Succeeded && job.OutputModel is { } output)
        {
            evalModel = provider.Name + ":" + output;
            store.SetTag(run.Id, "fine_tuned_model", output);
            store.SetTag(run.Id, "eval_model", evalModel);
        }
        store.SetStatus(run.Id, job.State switch { RemoteState.Succeeded => RunStatus.Succeeded, RemoteState.Cancelled => RunStatus.Cancelled, _ => RunStatus.Failed },
            JsonSerializer.Serialize(new
            {
                job_id = job.Id, status = job.RawStatus, fine_tuned_model = job.OutputModel, eval_model = evalModel, trained_tokens = job.TrainedTokens,
                cost_usd = cost, cost_source = source, estimated_usd = report.Cost?.EstimatedUsd, error = job.Error, metrics = metrics.Count,
            }));
        return new RemoteTrainResult(run.Id, job, evalModel, cost, source, metrics.Count, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Makes <paramref name="provider"/> a provider of the workspace's hone.yaml (base URL for inference and the key's
    /// variable) when it has none of that name, so <c>hone eval</c> can name <c>provider:model</c>. Returns whether it wrote.
    /// </summary>
    public static bool Register(Workspace workspace, RemoteProvider provider)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(provider);
        if (workspace.Config.Providers.ContainsKey(provider.Name)) return false;
        var providers = new Dictionary<string, ProviderConfig>(workspace.Config.Providers, StringComparer.Ordinal)
        {
            [provider.Name] = new ProviderConfig { BaseUrl = provider.InferenceUrl.ToString(), ApiKeyEnv = provider.ApiKeyEnv },
        };
        AtomicFile.WriteAllText(workspace.ConfigPath, (workspace.Config with { Providers = providers }).ToYaml());
        return true;
    }
}
