using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Models.Chat;
using Hone.Store;
using Hone.Training.Runs;

namespace Hone.FineTuning;

/// <summary>
/// The OpenAI fine-tuning API over the local engine: uploaded files (checked by the data check), a job queue in the run
/// store run one at a time in the background by <see cref="JobRunner"/>, pause/resume/cancel, events, checkpoints, and the
/// tuned models (loaded on first use). A job a stopped server left running resumes from its newest checkpoint when the
/// service starts again.
/// </summary>
public sealed class FineTuningService : IAsyncDisposable
{
    /// <summary>Largest upload accepted.</summary>
    public const long MaxFileBytes = 512L << 20;

    private readonly FineTuningStore _store;
    private readonly JobRunner _runner;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Lazy<LocalChatClient>> _models = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Task _loop;
    private (string JobId, CancellationTokenSource Cts, string? Then)? _current;

    private FineTuningService(FineTuningOptions options, FineTuningStore store)
    {
        Options = options;
        _store = store;
        _runner = new JobRunner(options, store);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The settings.</summary>
    public FineTuningOptions Options { get; }

    /// <summary>The store (files, jobs, events).</summary>
    public FineTuningStore Store => _store;

    /// <summary>Opens the store and starts the background runner (which resumes a job left running).</summary>
    public static FineTuningService Start(FineTuningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.Folder);
        return new FineTuningService(options, new FineTuningStore(options.DatabasePath));
    }

    // ---- files ----

    /// <summary>Stores an upload after the data check passes; refused (400, with the check's findings) when it finds errors.</summary>
    public FileRecord Upload(string filename, string purpose, Stream content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (purpose != "fine-tune")
            throw FineTuningException.Invalid("purpose", $"purpose '{purpose}' is not supported by this server; upload training data with purpose 'fine-tune'.");
        if (string.IsNullOrWhiteSpace(filename) || filename.Length > 255) throw FineTuningException.Invalid("file", "The upload needs a file name (at most 255 characters).");
        var id = FineTuningStore.NewId("file-");
        var dir = Path.Combine(Options.Folder, "files");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, id + ".jsonl");
        long bytes;
        using (var file = File.Create(path))
        {
            content.CopyTo(file);
            bytes = file.Length;
        }
        try
        {
            if (bytes > MaxFileBytes) throw FineTuningException.Invalid("file", $"The file has {bytes} bytes; this server takes at most {MaxFileBytes}.");
            var report = new DataChecker(new DataCheckOptions { FindNearDuplicates = false }).Check(path);
            if (report.Errors > 0)
            {
                var shown = report.Findings.Where(f => f.Severity == FindingSeverity.Error).Take(5).Select(f => f.ToString());
                throw new FineTuningException(400, $"The file '{filename}' failed the data check ({report.Errors} error(s); `hone data check` shows them all): " +
                    string.Join(" | ", shown), "file", "invalid_file");
            }
            var record = new FileRecord(id, Path.GetFileName(filename), purpose, bytes, FineTuningStore.Now, path, KindName(report.Kind));
            _store.AddFile(record);
            return record;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>A file by id (404 when unknown).</summary>
    public FileRecord GetFile(string id) => _store.FindFile(id) ?? throw FineTuningException.NotFound("file", id, "file_id");

    /// <summary>All files, newest first.</summary>
    public IReadOnlyList<FileRecord> ListFiles() => _store.ListFiles();

    /// <summary>Deletes a file (its content and record).</summary>
    public void DeleteFile(string id)
    {
        var f = GetFile(id);
        _store.DeleteFile(id);
        File.Delete(f.Path);
    }

    // ---- jobs ----

    /// <summary>Validates and queues a job (its files must exist and suit the method).</summary>
    public JobRecord Create(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model != Options.BaseModelId)
            throw new FineTuningException(400, $"Model '{request.Model}' cannot be fine-tuned here; this server fine-tunes '{Options.BaseModelId}'.", "model", "model_not_available");
        var train = _store.FindFile(request.TrainingFile) ?? throw FineTuningException.Invalid("training_file", $"Training file '{request.TrainingFile}' does not exist; upload it with purpose 'fine-tune'.");
        if (request.ValidationFile is { } v && _store.FindFile(v) is null)
            throw FineTuningException.Invalid("validation_file", $"Validation file '{v}' does not exist; upload it with purpose 'fine-tune'.");
        var expected = request.Method switch { "dpo" => "dpo", "reinforcement" => "rft", _ => "sft" };
        if (train.Kind != expected && !(expected == "sft" && train.Kind == "prompt-completion"))
            throw FineTuningException.Invalid("training_file", $"Training file '{train.Id}' holds {train.Kind} data; method {request.Method} needs {expected} data.");
        if (request.Method == "reinforcement" && Options.LoadReward is null)
            throw FineTuningException.Invalid("method.type", "This server was started without graders; reinforcement jobs are not available.");
        var job = new JobRecord(FineTuningStore.NewId("ftjob-"), request.Model, FineTuningStore.Now, null, null, JobStatus.Queued, request.TrainingFile,
            request.ValidationFile, request.Method, request.Hyperparameters.ToJsonString(), request.Suffix, request.Seed, null, null, null, 0,
            request.Metadata?.ToJsonString(), request.Grader?.ToJsonString(), null);
        _store.AddJob(job);
        _store.AddEvent(job.Id, "info", $"Created fine-tuning job: {job.Id}");
        _store.AddEvent(job.Id, "info", "Validating training file: " + train.Id + (request.ValidationFile is { } vf ? " and validation file: " + vf : ""));
        _store.AddEvent(job.Id, "info", "Files validated, moving job to queued state");
        _wake.Release();
        return job;
    }

    /// <summary>A job by id (404 when unknown).</summary>
    public JobRecord GetJob(string id) => _store.FindJob(id) ?? throw FineTuningException.NotFound("fine-tuning job", id, "fine_tuning_job_id");

    /// <summary>Jobs newest first after <paramref name="after"/>; <c>HasMore</c> when more follow.</summary>
    public (IReadOnlyList<JobRecord> Jobs, bool HasMore) ListJobs(string? after, int limit)
    {
        if (after is not null) GetJob(after);
        var list = _store.ListJobs(after, limit + 1);
        return (list.Take(limit).ToList(), list.Count > limit);
    }

    /// <summary>Cancels a job that has not finished (a running one stops at the next step).</summary>
    public JobRecord Cancel(string id) => Stop(id, JobStatus.Cancelled, "cancel");

    /// <summary>Pauses a queued or running job (a running one stops at the next step; its checkpoints stay).</summary>
    public JobRecord Pause(string id) => Stop(id, JobStatus.Paused, "pause");

    /// <summary>Puts a paused job back in the queue; it resumes from its newest checkpoint.</summary>
    public JobRecord Resume(string id)
    {
        var job = GetJob(id);
        if (!_store.SetStatus(id, JobStatus.Queued, JobStatus.Paused))
            throw new FineTuningException(409, $"Job {id} is {job.Status}; only a paused job can be resumed.", "fine_tuning_job_id", "invalid_state");
        _store.AddEvent(id, "info", "Fine-tuning job resumed");
        _wake.Release();
        return GetJob(id);
    }

    /// <summary>A job's events, newest first.</summary>
    public (IReadOnlyList<EventRecord> Events, bool HasMore) ListEvents(string id, string? after, int limit)
    {
        GetJob(id);
        var list = _store.ListEvents(id, after, limit + 1);
        return (list.Take(limit).ToList(), list.Count > limit);
    }

    /// <summary>A job's kept checkpoints, newest first.</summary>
    public (IReadOnlyList<JobCheckpoint> Checkpoints, bool HasMore) ListCheckpoints(string id, string? after, int limit)
    {
        var job = GetJob(id);
        var all = JobCheckpoint.Read(job, Options.BaseModelId);
        var start = after is null ? 0 : all.ToList().FindIndex(c => c.Id == after) + 1;
        var list = all.Skip(start).ToList();
        return (list.Take(limit).ToList(), list.Count > limit);
    }

    // ---- models ----

    /// <summary>The ids of the tuned models served.</summary>
    public IReadOnlyList<(string Id, long Created)> TunedModels() =>
        [.. _store.SucceededJobs().Where(j => j.FineTunedModel is not null).Select(j => (j.FineTunedModel!, j.FinishedAt ?? j.CreatedAt))];

    /// <summary>The tuned model named <paramref name="id"/> as a chat client (loaded once), or null when no job made it.</summary>
    public LocalChatClient? TunedModel(string id)
    {
        if (!id.StartsWith("ft:", StringComparison.Ordinal)) return null;
        if (!_models.ContainsKey(id))
        {
            var job = _store.SucceededJobs().FirstOrDefault(j => j.FineTunedModel == id);
            if (job?.ModelFolder is null) return null;
            _models.TryAdd(id, new Lazy<LocalChatClient>(() => LocalChatClient.Load(job.ModelFolder, null, null, null, null)));
        }
        return _models[id].Value;
    }

    /// <summary>Stops the runner (a running job stays marked running and resumes at the next start) and frees the models.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var m in _models.Values.Where(m => m.IsValueCreated)) m.Value.Dispose();
        _store.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private JobRecord Stop(string id, string status, string verb)
    {
        lock (_lock)
        {
            var job = GetJob(id); // read under the lock: the loop sets a stopped job's status and clears _current in one step
            if (_current is { } c && c.JobId == id && job.Status != JobStatus.Paused && !JobStatus.IsTerminal(job.Status))
            {
                _current = c with { Then = status };
                c.Cts.Cancel();
                _store.AddEvent(id, "info", verb == "cancel" ? "Cancelling the running job at the next step" : "Pausing the running job at the next step (its checkpoints stay)");
                return job with { Status = JobStatus.IsTerminal(status) ? status : job.Status };
            }
            string[] from = verb == "cancel" ? [JobStatus.Queued, JobStatus.Paused, JobStatus.ValidatingFiles, JobStatus.Running] : [JobStatus.Queued, JobStatus.ValidatingFiles];
            if (!_store.SetStatus(id, status, from))
                throw new FineTuningException(409, $"Job {id} is {job.Status}; it cannot be {(verb == "cancel" ? "cancelled" : "paused")}.", "fine_tuning_job_id", "invalid_state");
        }
        _store.AddEvent(id, "info", verb == "cancel" ? "Fine-tuning job cancelled" : "Fine-tuning job paused");
        return GetJob(id);
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            JobRecord? job;
            CancellationTokenSource cts;
            lock (_lock)
            {
                job = _store.NextJob();
                if (job is null)
                {
                    cts = null!;
                }
                else
                {
                    cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    _current = (job.Id, cts, null);
                }
            }
            if (job is null)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                await Task.Factory.StartNew(() => _runner.Run(job, cts.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                lock (_lock)
                {
                    // One step under the lock: a pause or cancel that sees the new status never finds the job still current.
                    if (_current?.Then is { } then)
                    {
                        _store.SetStatus(job.Id, then);
                        _current = null;
                        _store.AddEvent(job.Id, "info", then == JobStatus.Cancelled ? "Fine-tuning job cancelled" : "Fine-tuning job paused");
                    }
                }
                // else the server is stopping: the job stays running and resumes from its checkpoint at the next start.
            }
            finally
            {
                lock (_lock) _current = null;
                cts.Dispose();
            }
        }
    }

    private static string KindName(DataKind kind) => kind switch
    {
        DataKind.Sft => "sft",
        DataKind.Dpo => "dpo",
        DataKind.Rft => "rft",
        _ => "prompt-completion",
    };
}

/// <summary>A kept checkpoint of a job (an epoch end), as <c>/checkpoints</c> lists it.</summary>
/// <param name="Id">ftckpt-…</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Model">The checkpoint's model name.</param>
/// <param name="Step">Its step.</param>
/// <param name="Metrics">The last step's metrics with the epoch's full validation.</param>
/// <param name="JobId">The job.</param>
public sealed record JobCheckpoint(string Id, long CreatedAt, string Model, long Step, JsonObject Metrics, string JobId)
{
    /// <summary>The kept checkpoints of <paramref name="job"/>'s run, newest first.</summary>
    public static IReadOnlyList<JobCheckpoint> Read(JobRecord job, string baseModelId)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.RunFolder is null) return [];
        var list = new List<JobCheckpoint>();
        foreach (var folder in Checkpoints.List(Path.Combine(job.RunFolder, "checkpoints")).Reverse())
        {
            JsonObject state;
            try
            {
                state = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint.json")))!.AsObject();
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                continue; // being replaced right now
            }
            var step = (long)state["step"]!;
            var metrics = new JsonObject { ["step"] = step };
            if (state["history"] is JsonArray { Count: > 0 } h && h[^1]?["metrics"] is JsonObject last)
                foreach (var (k, v) in last) metrics[k] = v?.DeepClone();
            if (state["epoch_history"] is JsonArray { Count: > 0 } eh && eh[^1]?["metrics"] is JsonObject full)
                foreach (var (k, v) in full) metrics[k] = v?.DeepClone();
            var created = new DateTimeOffset(Directory.GetLastWriteTimeUtc(folder)).ToUnixTimeSeconds();
            var id = "ftckpt-" + job.Id["ftjob-".Length..] + "-" + Path.GetFileName(folder);
            list.Add(new JobCheckpoint(id, created, JobRunner.ModelName(job, baseModelId) + $":ckpt-step-{step}", step, metrics, job.Id));
        }
        return list;
    }
}
