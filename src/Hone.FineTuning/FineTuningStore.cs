using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Hone.FineTuning;

/// <summary>An uploaded file (<c>/v1/files</c>).</summary>
/// <param name="Id">file-…</param>
/// <param name="Filename">The name it was uploaded under.</param>
/// <param name="Purpose">fine-tune (the only purpose this server accepts).</param>
/// <param name="Bytes">Size.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Path">Where the content lies.</param>
/// <param name="Kind">The data kind the check found (sft, dpo, rft, prompt-completion).</param>
public sealed record FileRecord(string Id, string Filename, string Purpose, long Bytes, long CreatedAt, string Path, string Kind);

/// <summary>A fine-tuning job (<c>/v1/fine_tuning/jobs</c>) as stored.</summary>
/// <param name="Id">ftjob-…</param>
/// <param name="Model">The base model id.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="FinishedAt">Unix seconds, once terminal.</param>
/// <param name="FineTunedModel">The tuned model's id once succeeded.</param>
/// <param name="Status">One of <see cref="JobStatus"/>.</param>
/// <param name="TrainingFile">Training file id.</param>
/// <param name="ValidationFile">Validation file id.</param>
/// <param name="Method">supervised, dpo or reinforcement.</param>
/// <param name="HyperparametersJson">The method's hyperparameters: as requested ("auto" or values), resolved once training starts.</param>
/// <param name="Suffix">The user's suffix for the model name.</param>
/// <param name="Seed">The seed.</param>
/// <param name="ErrorJson">{code, message, param} of a failed job.</param>
/// <param name="RunFolder">The training run's folder.</param>
/// <param name="RunId">The training run's id in the run store.</param>
/// <param name="TrainedTokens">Tokens trained (billable tokens, in OpenAI's words).</param>
/// <param name="MetadataJson">The user's metadata object.</param>
/// <param name="GraderJson">The grader of a reinforcement job.</param>
/// <param name="ModelFolder">The tuned model's merged folder once succeeded.</param>
public sealed record JobRecord(string Id, string Model, long CreatedAt, long? FinishedAt, string? FineTunedModel, string Status,
    string TrainingFile, string? ValidationFile, string Method, string HyperparametersJson, string? Suffix, long Seed, string? ErrorJson,
    string? RunFolder, string? RunId, long TrainedTokens, string? MetadataJson, string? GraderJson, string? ModelFolder);

/// <summary>A job event (<c>/v1/fine_tuning/jobs/{id}/events</c>).</summary>
/// <param name="Id">ftevent-…</param>
/// <param name="JobId">The job.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Level">info, warn or error.</param>
/// <param name="Message">What happened.</param>
/// <param name="Type">message or metrics.</param>
/// <param name="DataJson">The metrics of a metrics event (step, train_loss, ...), else null.</param>
public sealed record EventRecord(string Id, string JobId, long CreatedAt, string Level, string Message, string Type, string? DataJson);

/// <summary>The statuses of a fine-tuning job, as OpenAI names them (plus paused).</summary>
public static class JobStatus
{
    /// <summary>Files being checked.</summary>
    public const string ValidatingFiles = "validating_files";
    /// <summary>Waiting for the trainer.</summary>
    public const string Queued = "queued";
    /// <summary>Training.</summary>
    public const string Running = "running";
    /// <summary>Stopped by the user at a step boundary; resumable from its checkpoint.</summary>
    public const string Paused = "paused";
    /// <summary>Done; the model is served.</summary>
    public const string Succeeded = "succeeded";
    /// <summary>Stopped with an error.</summary>
    public const string Failed = "failed";
    /// <summary>Cancelled by the user.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Whether <paramref name="status"/> is final.</summary>
    public static bool IsTerminal(string status) => status is Succeeded or Failed or Cancelled;
}

/// <summary>
/// The fine-tuning API's state in the workspace's run store (the same SQLite database as the runs, tables
/// <c>ft_files</c>, <c>ft_jobs</c>, <c>ft_events</c>): uploaded files, the job queue and each job's events. Thread-safe (one
/// connection, one lock); each method is one short statement or transaction.
/// </summary>
public sealed class FineTuningStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    /// <summary>Opens (creating the tables when missing) the store in the database at <paramref name="databasePath"/>.</summary>
    public FineTuningStore(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _db.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;");
        Exec("""
            CREATE TABLE IF NOT EXISTS ft_files (
              id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL,
              path TEXT NOT NULL, kind TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS ft_jobs (
              id TEXT PRIMARY KEY, seq INTEGER NOT NULL, model TEXT NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER,
              fine_tuned_model TEXT, status TEXT NOT NULL, training_file TEXT NOT NULL, validation_file TEXT, method TEXT NOT NULL,
              hyperparameters TEXT NOT NULL, suffix TEXT, seed INTEGER NOT NULL, error TEXT, run_folder TEXT, run_id TEXT,
              trained_tokens INTEGER NOT NULL DEFAULT 0, metadata TEXT, grader TEXT, model_folder TEXT);
            CREATE TABLE IF NOT EXISTS ft_events (
              seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, job_id TEXT NOT NULL, created_at INTEGER NOT NULL,
              level TEXT NOT NULL, message TEXT NOT NULL, type TEXT NOT NULL, data TEXT);
            CREATE INDEX IF NOT EXISTS ft_events_job ON ft_events(job_id, seq);
            """);
    }

    /// <summary>Now, in Unix seconds.</summary>
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A fresh id with <paramref name="prefix"/> (file-, ftjob-, ftevent-).</summary>
    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    /// <summary>Records an uploaded file.</summary>
    public void AddFile(FileRecord f)
    {
        ArgumentNullException.ThrowIfNull(f);
        Run("INSERT INTO ft_files(id, filename, purpose, bytes, created_at, path, kind) VALUES ($1,$2,$3,$4,$5,$6,$7);",
            f.Id, f.Filename, f.Purpose, f.Bytes, f.CreatedAt, f.Path, f.Kind);
    }

    /// <summary>A file by id, or null.</summary>
    public FileRecord? FindFile(string id) => Files("WHERE id=$1", id).FirstOrDefault();

    /// <summary>All files, newest first.</summary>
    public IReadOnlyList<FileRecord> ListFiles() => Files("ORDER BY created_at DESC, id DESC");

    /// <summary>Removes a file's record.</summary>
    public bool DeleteFile(string id) => Run("DELETE FROM ft_files WHERE id=$1;", id) > 0;

    /// <summary>Adds a job at the end of the queue.</summary>
    public void AddJob(JobRecord j)
    {
        ArgumentNullException.ThrowIfNull(j);
        Run("""
            INSERT INTO ft_jobs(id, seq, model, created_at, status, training_file, validation_file, method, hyperparameters, suffix, seed, metadata, grader)
            VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ft_jobs), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
            """, j.Id, j.Model, j.CreatedAt, j.Status, j.TrainingFile, j.ValidationFile, j.Method, j.HyperparametersJson, j.Suffix, j.Seed,
            j.MetadataJson, j.GraderJson);
    }

    /// <summary>A job by id, or null.</summary>
    public JobRecord? FindJob(string id) => Jobs("WHERE id=$1", id).FirstOrDefault();

    /// <summary>Jobs newest first, after the job <paramref name="after"/> (exclusive) when given; one more than <paramref name="limit"/> tells whether more exist.</summary>
    public IReadOnlyList<JobRecord> ListJobs(string? after, int limit) => after is null
        ? Jobs("ORDER BY seq DESC LIMIT $1", limit)
        : Jobs("WHERE seq < (SELECT seq FROM ft_jobs WHERE id=$1) ORDER BY seq DESC LIMIT $2", after, limit);

    /// <summary>The next job to train: the oldest one running (a job a stopped server left) or queued.</summary>
    public JobRecord? NextJob() => Jobs($"WHERE status IN ('{JobStatus.Running}', '{JobStatus.Queued}') ORDER BY status = '{JobStatus.Running}' DESC, seq LIMIT 1").FirstOrDefault();

    /// <summary>Jobs that succeeded (their models are served).</summary>
    public IReadOnlyList<JobRecord> SucceededJobs() => Jobs($"WHERE status='{JobStatus.Succeeded}' ORDER BY seq");

    /// <summary>Sets a job's status when it is one of <paramref name="from"/> (all when empty); true when changed.</summary>
    public bool SetStatus(string id, string status, params string[] from)
    {
        var finished = JobStatus.IsTerminal(status) ? Now : (long?)null;
        if (from.Length == 0) return Run("UPDATE ft_jobs SET status=$2, finished_at=$3 WHERE id=$1;", id, status, finished) > 0;
        var list = string.Join(",", from.Select(s => "'" + s.Replace("'", "", StringComparison.Ordinal) + "'"));
        return Run($"UPDATE ft_jobs SET status=$2, finished_at=$3 WHERE id=$1 AND status IN ({list});", id, status, finished) > 0;
    }

    /// <summary>Records the training run of a job.</summary>
    public void SetRun(string id, string runFolder, string? runId) => Run("UPDATE ft_jobs SET run_folder=$2, run_id=COALESCE($3, run_id) WHERE id=$1;", id, runFolder, runId);

    /// <summary>Records the resolved hyperparameters and the tokens trained so far.</summary>
    public void SetProgress(string id, string hyperparametersJson, long trainedTokens) =>
        Run("UPDATE ft_jobs SET hyperparameters=$2, trained_tokens=$3 WHERE id=$1;", id, hyperparametersJson, trainedTokens);

    /// <summary>Marks a job succeeded with its model.</summary>
    public void Succeed(string id, string fineTunedModel, string modelFolder) =>
        Run($"UPDATE ft_jobs SET status='{JobStatus.Succeeded}', finished_at=$2, fine_tuned_model=$3, model_folder=$4 WHERE id=$1;", id, Now, fineTunedModel, modelFolder);

    /// <summary>Marks a job failed with its error.</summary>
    public void Fail(string id, string errorJson) =>
        Run($"UPDATE ft_jobs SET status='{JobStatus.Failed}', finished_at=$2, error=$3 WHERE id=$1;", id, Now, errorJson);

    /// <summary>Appends an event to a job.</summary>
    public EventRecord AddEvent(string jobId, string level, string message, string type = "message", string? dataJson = null)
    {
        var e = new EventRecord(NewId("ftevent-"), jobId, Now, level, message, type, dataJson);
        Run("INSERT INTO ft_events(id, job_id, created_at, level, message, type, data) VALUES ($1,$2,$3,$4,$5,$6,$7);",
            e.Id, e.JobId, e.CreatedAt, e.Level, e.Message, e.Type, e.DataJson);
        return e;
    }

    /// <summary>A job's events, newest first, older than <paramref name="after"/> when given, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<EventRecord> ListEvents(string jobId, string? after, int limit)
    {
        var where = after is null ? "WHERE job_id=$1" : "WHERE job_id=$1 AND seq < (SELECT seq FROM ft_events WHERE id=$3)";
        lock (_lock)
        {
            using var cmd = Command($"SELECT id, job_id, created_at, level, message, type, data FROM ft_events {where} ORDER BY seq DESC LIMIT $2;", jobId, limit, after);
            using var r = cmd.ExecuteReader();
            var list = new List<EventRecord>();
            while (r.Read())
                list.Add(new EventRecord(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
            return list;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();

    private List<FileRecord> Files(string tail, params object?[] args)
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT id, filename, purpose, bytes, created_at, path, kind FROM ft_files " + tail + ";", args);
            using var r = cmd.ExecuteReader();
            var list = new List<FileRecord>();
            while (r.Read()) list.Add(new FileRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetString(5), r.GetString(6)));
            return list;
        }
    }

    private List<JobRecord> Jobs(string tail, params object?[] args)
    {
        lock (_lock)
        {
            using var cmd = Command("""
                SELECT id, model, created_at, finished_at, fine_tuned_model, status, training_file, validation_file, method, hyperparameters,
                       suffix, seed, error, run_folder, run_id, trained_tokens, metadata, grader, model_folder FROM ft_jobs
                """ + " " + tail + ";", args);
            using var r = cmd.ExecuteReader();
            var list = new List<JobRecord>();
            while (r.Read())
            {
                string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
                list.Add(new JobRecord(r.GetString(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3), S(4), r.GetString(5),
                    r.GetString(6), S(7), r.GetString(8), r.GetString(9), S(10), r.GetInt64(11), S(12), S(13), S(14), r.GetInt64(15), S(16), S(17), S(18)));
            }
            return list;
        }
    }

    private int Run(string sql, params object?[] args)
    {
        lock (_lock)
        {
            using var cmd = Command(sql, args);
            return cmd.ExecuteNonQuery();
        }
    }

    private void Exec(string sql)
    {
        lock (_lock)
        {
            using var cmd = Command(sql);
            cmd.ExecuteNonQuery();
        }
    }

    private SqliteCommand Command(string sql, params object?[] args)
    {
        var cmd = _db.CreateCommand();
#pragma warning disable CA2100 // SQL text is constant in this class (statuses are constants); values go through parameters.
        cmd.CommandText = sql;
#pragma warning restore CA2100
        for (int i = 0; i < args.Length; i++)
            cmd.Parameters.AddWithValue("$" + (i + 1).ToString(CultureInfo.InvariantCulture), args[i] ?? DBNull.Value);
        return cmd;
    }
}
