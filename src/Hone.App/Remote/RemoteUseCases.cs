using System.Text.Json;
using Hone.Data.Checks;
using Hone.Remote;
using Hone.Store;

namespace Hone.App.Remote;

/// <summary>What <see cref="RemoteTrain"/> is asked.</summary>
/// <param name="Options">The job's options.</param>
/// <param name="Provider">hone.yaml's provider name or a built-in one.</param>
/// <param name="Kind">The API shape when the URL does not tell (openai, together, fireworks), or null.</param>
/// <param name="Account">The Fireworks account id, or null.</param>
/// <param name="WorkingDirectory">Where the workspace is found.</param>
/// <param name="EstimateOnly">Check the data and estimate only; upload nothing.</param>
public sealed record RemoteTrainRequest(RemoteTrainOptions Options, string Provider, string? Kind, string? Account, string WorkingDirectory, bool EstimateOnly = false);

/// <summary>What <see cref="RemoteTrain"/> did.</summary>
/// <param name="Provider">The provider used.</param>
/// <param name="Estimate">The data check's report (tokens, cost estimate).</param>
/// <param name="Result">The job's outcome (null for an estimate only).</param>
/// <param name="ProviderRegistered">Whether hone.yaml got the provider so hone eval can call the model.</param>
public sealed record RemoteTrainResponse(RemoteProvider Provider, DataCheckReport Estimate, RemoteTrainResult? Result, bool ProviderRegistered)
{
    /// <summary>The <c>--json</c> document: the job's outcome, or (estimate only) the estimate.</summary>
    public object Document() => Result is { } r
        ? new RemoteJobDocument(r.RunId, r.Job.Id, r.Job.RawStatus, r.Job.OutputModel, r.EvalModel, r.Job.TrainedTokens, r.CostUsd, r.CostSource,
            Estimate.Cost?.EstimatedUsd, r.Metrics, r.Seconds, r.Job.Error, ProviderRegistered)
        : new RemoteEstimateDocument(Provider.Name, Provider.Kind, Estimate.Examples, Estimate.Tokens?.Total, Estimate.Cost);
}

/// <summary>The <c>--json</c> document of <see cref="RemoteTrain"/> with an estimate only: nothing uploaded.</summary>
public sealed record RemoteEstimateDocument(string Provider, string Kind, long Examples, long? Tokens, Hone.Data.Cost.CostEstimate? Cost);

/// <summary>The <c>--json</c> document of <see cref="RemoteTrain"/> after the job: the run, the job's outcome, its cost and metrics.</summary>
public sealed record RemoteJobDocument(string Run, string Job, string Status, string? FineTunedModel, string? EvalModel, long? TrainedTokens, decimal? CostUsd,
    string CostSource, decimal? EstimatedUsd, int Metrics, double Seconds, string? Error, bool ProviderRegistered);

/// <summary>What <see cref="RemotePull"/> is asked: a remote run of the workspace and the folder for its adapter.</summary>
public sealed record RemotePullRequest(string Run, string? Folder, string? Account, string WorkingDirectory);

/// <summary>What <see cref="RemotePull"/> wrote.</summary>
public sealed record RemotePullResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("run")] string RunId,
    [property: System.Text.Json.Serialization.JsonPropertyName("job")] string JobId,
    string Folder, IReadOnlyList<string> Files);

/// <summary>Use case "fine-tune on a hosted service": the data check and estimate, then the job recorded as a run.</summary>
public static class RemoteTrain
{
    /// <summary>Runs the request; <paramref name="http"/> carries the REST clients' requests.</summary>
    public static async Task<RemoteTrainResponse> RunAsync(RemoteTrainRequest request, HttpClient http, Func<string, string?> environment,
        IProgress<RemoteJob>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(http);
        request.Options.Validate();
        var ws = Workspace.Require(request.WorkingDirectory);
        var provider = RemoteProvider.Resolve(request.Provider, ws.Config, request.Kind);
        var estimate = RemoteTrainer.Check(request.Options);
        if (request.EstimateOnly) return new RemoteTrainResponse(provider, estimate, null, false);
        var service = provider.Connect(http, provider.ApiKey(environment), request.Account ?? environment("FIREWORKS_ACCOUNT_ID"));
        using var store = ws.OpenStore();
        var result = await RemoteTrainer.RunAsync(service, provider, request.Options, store, progress, ct).ConfigureAwait(false);
        var registered = result.EvalModel is not null && RemoteTrainer.Register(ws, provider);
        return new RemoteTrainResponse(provider, estimate, result, registered);
    }
}

/// <summary>Use case "pull the adapter of a remote run" (Together, Fireworks), recorded as the run's artifact.</summary>
public static class RemotePull
{
    /// <summary>Runs the request.</summary>
    public static async Task<RemotePullResponse> RunAsync(RemotePullRequest request, HttpClient http, Func<string, string?> environment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(http);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var record = store.GetRun(request.Run);
        var tags = store.GetTags(record.Id);
        if (!record.Kind.StartsWith("remote-", StringComparison.Ordinal) || !tags.TryGetValue("provider", out var name) || !tags.TryGetValue("job_id", out var jobId))
            throw new UseCaseException($"Run {record.Id} is not a remote run with a job ('hone runs --kind remote-sft' lists them).");
        using var options = JsonDocument.Parse(record.OptionsJson);
        var provider = RemoteProvider.Resolve(name, ws.Config, options.RootElement.TryGetProperty("kind", out var k) ? k.GetString() : null);
        var service = provider.Connect(http, provider.ApiKey(environment), request.Account ?? environment("FIREWORKS_ACCOUNT_ID"));
        if (!service.CanDownload)
            throw new UseCaseException($"Provider '{provider.Name}' ({provider.Kind}) does not let the weights be downloaded; evaluate the model where it is served.");
        var job = await service.GetAsync(jobId, ct).ConfigureAwait(false);
        if (job.State != RemoteState.Succeeded) throw new UseCaseException($"Job {jobId} is {job.RawStatus}; only a finished job has weights to pull.");
        var folder = request.Folder is { } f ? Path.GetFullPath(Path.Combine(request.WorkingDirectory, f)) : Path.Combine(ws.RunsDir, record.Id + "-adapter");
        var files = await service.DownloadAdapterAsync(job, folder, ct).ConfigureAwait(false);
        store.AddArtifact(record.Id, "adapter", folder, null, files.Sum(x => new FileInfo(x).Length));
        return new RemotePullResponse(record.Id, jobId, folder, files);
    }
}
