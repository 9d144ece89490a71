using System.Globalization;
using Microsoft.Data.Sqlite;
using Hone.Core;

namespace Hone.Store;

/// <summary>
/// The run store: one SQLite database (WAL mode) holding runs, their metrics, their artifacts (files beside the
/// database or in run folders, referenced by path and SHA-256) and a key-value cache. Safe for one writer process
/// with concurrent readers; each method is a short transaction.
/// </summary>
public sealed class RunStore : IDisposable
{
    /// <summary>The schema version this code writes; an older database is migrated, a newer one is refused.</summary>
    public const int SchemaVersion = 2;

    private readonly SqliteConnection _db;
    private readonly RunOwner _owner;

    private RunStore(SqliteConnection db, string path, RunOwner owner)
    {
        _db = db;
        Path = path;
        _owner = owner;
    }

    /// <summary>Path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when missing) the store at <paramref name="path"/>, migrating an older schema.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="owner">The process recorded as the owner of the runs this store starts or resumes (default: this one).</param>
    public static RunStore Open(string path, RunOwner? owner = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            db.Open();
            var store = new RunStore(db, full, owner ?? RunOwner.Current);
            store.Exec("PRAGMA journal_mode=WAL;");
            store.Exec("PRAGMA synchronous=NORMAL;");
            store.Exec("PRAGMA foreign_keys=ON;");
            store.Exec("PRAGMA busy_timeout=5000;");
            store.Migrate();
            return store;
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new WorkspaceException($"{full}: cannot open the run store ({e.Message}). If the file is damaged, move it aside; run folders keep their own manifests.", e);
        }
    }

    /// <summary>The journal mode in force (WAL once opened).</summary>
    public string JournalMode => (string)Scalar("PRAGMA journal_mode;")!;

    private void Migrate()
    {
        Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);");
        if (StoredVersion(null) == SchemaVersion) return;
        using var tx = _db.BeginTransaction(); // BEGIN IMMEDIATE: a second process waits, then sees the new version
        var version = StoredVersion(tx);
        if (version > SchemaVersion)
            throw new WorkspaceException($"{Path}: the run store has schema version {version}, newer than this Hone ({SchemaVersion}). Update Hone.");
        if (version == SchemaVersion) return;
        if (version < 1)
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS runs (
                  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
                  created_utc TEXT NOT NULL, finished_utc TEXT, folder TEXT, parent_id TEXT, options_json TEXT NOT NULL,
                  summary_json TEXT);
                CREATE TABLE IF NOT EXISTS metrics (
                  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, name TEXT NOT NULL,
                  value REAL NOT NULL, PRIMARY KEY (run_id, name, step));
                CREATE TABLE IF NOT EXISTS artifacts (
                  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL, path TEXT NOT NULL,
                  sha256 TEXT, bytes INTEGER, PRIMARY KEY (run_id, name));
                CREATE TABLE IF NOT EXISTS tags (
                  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
                  PRIMARY KEY (run_id, key));
                CREATE TABLE IF NOT EXISTS cache (
                  key TEXT PRIMARY KEY, value BLOB NOT NULL, created_utc TEXT NOT NULL);
                """, tx);
        }
        if (version < 2)
        {
            // 2: the owner of a running run (runs of version 1 have none: if still marked running, they read as interrupted).
            Exec("""
                ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
                ALTER TABLE runs ADD COLUMN owner_started_utc TEXT;
                ALTER TABLE runs ADD COLUMN owner_host TEXT;
                """, tx);
        }
        Exec($"INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '{SchemaVersion}');", tx);
        tx.Commit();
    }

    private int StoredVersion(SqliteTransaction? tx)
    {
        using var cmd = Command("SELECT value FROM meta WHERE key='schema_version';", tx);
        return cmd.ExecuteScalar() is string v ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Creates a run with a fresh sortable id (<c>KIND-yyyyMMdd-HHmmss-xxxx</c>).</summary>
    public RunRecord CreateRun(string kind, string name, string optionsJson, string? folder = null, string? parentId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        var now = DateTime.UtcNow;
        var id = $"{kind}-{now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        var run = new RunRecord(id, kind, name, RunStatus.Running, now, null, folder, parentId, optionsJson, null, _owner);
        using var cmd = Command("""
            INSERT INTO runs(id, kind, name, status, created_utc, folder, parent_id, options_json, owner_pid, owner_started_utc, owner_host)
            VALUES ($id, $kind, $name, $status, $created, $folder, $parent, $options, $pid, $started, $host);
            """);
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$kind", kind);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$status", run.Status.ToString());
        cmd.Parameters.AddWithValue("$created", Iso(now));
        cmd.Parameters.AddWithValue("$folder", (object?)folder ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$parent", (object?)parentId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$options", optionsJson);
        AddOwner(cmd);
        cmd.ExecuteNonQuery();
        return run;
    }

    /// <summary>
    /// Sets a run's status (and its finish time when it is terminal) and optional summary JSON. Setting
    /// <see cref="RunStatus.Running"/> (a resume) makes this store's process the run's owner.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="RunStatus.Interrupted"/>, which is derived, never stored.</exception>
    public void SetStatus(string runId, RunStatus status, string? summaryJson = null)
    {
        if (status == RunStatus.Interrupted)
            throw new ArgumentException("Interrupted is not stored: a running run whose process is gone reads as interrupted.", nameof(status));
        using var cmd = Command("""
            UPDATE runs SET status=$status, summary_json=COALESCE($summary, summary_json),
              finished_utc = CASE WHEN $terminal THEN $now ELSE NULL END,
              owner_pid = CASE WHEN $running THEN $pid ELSE owner_pid END,
              owner_started_utc = CASE WHEN $running THEN $started ELSE owner_started_utc END,
              owner_host = CASE WHEN $running THEN $host ELSE owner_host END
            WHERE id=$id;
            """);
        cmd.Parameters.AddWithValue("$status", status.ToString());
        cmd.Parameters.AddWithValue("$summary", (object?)summaryJson ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$terminal", status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled);
        cmd.Parameters.AddWithValue("$running", status == RunStatus.Running);
        cmd.Parameters.AddWithValue("$now", Iso(DateTime.UtcNow));
        cmd.Parameters.AddWithValue("$id", runId);
        AddOwner(cmd);
        if (cmd.ExecuteNonQuery() == 0) throw UnknownRun(runId);
    }

    /// <summary>
    /// Deletes a run's record with its metrics, artifact records and tags (the files stay: the caller removes the
    /// run's folder, see <see cref="Workspace.RunFolderOf"/>).
    /// </summary>
    /// <exception cref="WorkspaceException">No such run.</exception>
    public void DeleteRun(string runId)
    {
        using var cmd = Command("DELETE FROM runs WHERE id=$id;");
        cmd.Parameters.AddWithValue("$id", runId);
        if (cmd.ExecuteNonQuery() == 0) throw UnknownRun(runId);
    }

    /// <summary>Records metric values for one step (insert or replace: a resumed run rewrites the same steps).</summary>
    public void LogMetrics(string runId, long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var tx = _db.BeginTransaction();
        using var cmd = Command("INSERT OR REPLACE INTO metrics(run_id, step, name, value) VALUES ($run, $step, $name, $value);", tx);
        var pName = cmd.Parameters.Add("$name", SqliteType.Text);
        var pValue = cmd.Parameters.Add("$value", SqliteType.Real);
        cmd.Parameters.AddWithValue("$run", runId);
        cmd.Parameters.AddWithValue("$step", step);
        foreach (var (name, value) in values)
        {
            if (!double.IsFinite(value)) continue; // NaN/inf are not stored: absence means "not measured"
            pName.Value = name;
            pValue.Value = value;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>All values of one metric, ordered by step.</summary>
    public IReadOnlyList<(long Step, double Value)> GetMetric(string runId, string name)
    {
        using var cmd = Command("SELECT step, value FROM metrics WHERE run_id=$run AND name=$name ORDER BY step;");
        cmd.Parameters.AddWithValue("$run", runId);
        cmd.Parameters.AddWithValue("$name", name);
        using var r = cmd.ExecuteReader();
        var list = new List<(long, double)>();
        while (r.Read()) list.Add((r.GetInt64(0), r.GetDouble(1)));
        return list;
    }

    /// <summary>Names of the metrics a run has recorded.</summary>
    public IReadOnlyList<string> GetMetricNames(string runId)
    {
        using var cmd = Command("SELECT DISTINCT name FROM metrics WHERE run_id=$run ORDER BY name;");
        cmd.Parameters.AddWithValue("$run", runId);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    /// <summary>Records (or replaces) an artifact of a run: a file, by path, with its hash and size.</summary>
    public void AddArtifact(string runId, string name, string path, string? sha256, long? bytes)
    {
        using var cmd = Command("INSERT OR REPLACE INTO artifacts(run_id, name, path, sha256, bytes) VALUES ($run, $name, $path, $sha, $bytes);");
        cmd.Parameters.AddWithValue("$run", runId);
        cmd.Parameters.AddWithValue("$name", name);
        cmd.Parameters.AddWithValue("$path", path);
        cmd.Parameters.AddWithValue("$sha", (object?)sha256 ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$bytes", (object?)bytes ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A run's artifacts by name.</summary>
    public IReadOnlyDictionary<string, string> GetArtifacts(string runId)
    {
        using var cmd = Command("SELECT name, path FROM artifacts WHERE run_id=$run ORDER BY name;");
        cmd.Parameters.AddWithValue("$run", runId);
        using var r = cmd.ExecuteReader();
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read()) d[r.GetString(0)] = r.GetString(1);
        return d;
    }

    /// <summary>Sets a tag on a run (e.g. <c>baseline=true</c>).</summary>
    public void SetTag(string runId, string key, string value)
    {
        using var cmd = Command("INSERT OR REPLACE INTO tags(run_id, key, value) VALUES ($run, $key, $value);");
        cmd.Parameters.AddWithValue("$run", runId);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$value", value);
        try { cmd.ExecuteNonQuery(); }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) { throw UnknownRun(runId); }
    }

    /// <summary>A run's tags.</summary>
    public IReadOnlyDictionary<string, string> GetTags(string runId)
    {
        using var cmd = Command("SELECT key, value FROM tags WHERE run_id=$run ORDER BY key;");
        cmd.Parameters.AddWithValue("$run", runId);
        using var r = cmd.ExecuteReader();
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read()) d[r.GetString(0)] = r.GetString(1);
        return d;
    }

    /// <summary>One run by id (or a unique id prefix); null when none matches.</summary>
    public RunRecord? FindRun(string idOrPrefix)
    {
        using var cmd = Command("SELECT * FROM runs WHERE id=$id OR id LIKE $prefix ESCAPE '\\' ORDER BY id LIMIT 2;");
        cmd.Parameters.AddWithValue("$id", idOrPrefix);
        cmd.Parameters.AddWithValue("$prefix", EscapeLike(idOrPrefix) + "%");
        var found = ReadRuns(cmd);
        if (found.Count == 0) return null;
        var exact = found.FirstOrDefault(r => r.Id == idOrPrefix);
        if (exact is not null) return exact;
        if (found.Count > 1) throw new WorkspaceException($"Run id prefix '{idOrPrefix}' is ambiguous ({found[0].Id}, {found[1].Id}, ...). Give more characters.");
        return found[0];
    }

    /// <summary>Like <see cref="FindRun"/>, but an unknown run is an error.</summary>
    public RunRecord GetRun(string idOrPrefix) => FindRun(idOrPrefix) ?? throw UnknownRun(idOrPrefix);

    /// <summary>Runs, newest first, optionally of one kind.</summary>
    public IReadOnlyList<RunRecord> ListRuns(string? kind = null, int limit = 100)
    {
        using var cmd = Command("SELECT * FROM runs WHERE ($kind IS NULL OR kind=$kind) ORDER BY created_utc DESC, id DESC LIMIT $limit;");
        cmd.Parameters.AddWithValue("$kind", (object?)kind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadRuns(cmd);
    }

    /// <summary>Reads a cached value, or null.</summary>
    public byte[]? CacheGet(string key)
    {
        using var cmd = Command("SELECT value FROM cache WHERE key=$key;");
        cmd.Parameters.AddWithValue("$key", key);
        return cmd.ExecuteScalar() as byte[];
    }

    /// <summary>Stores a cached value (insert or replace).</summary>
    public void CachePut(string key, byte[] value)
    {
        using var cmd = Command("INSERT OR REPLACE INTO cache(key, value, created_utc) VALUES ($key, $value, $now);");
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$value", value);
        cmd.Parameters.AddWithValue("$now", Iso(DateTime.UtcNow));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Removes a cached value (nothing when absent).</summary>
    public void CacheRemove(string key)
    {
        using var cmd = Command("DELETE FROM cache WHERE key=$key;");
        cmd.Parameters.AddWithValue("$key", key);
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();

    private static List<RunRecord> ReadRuns(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<RunRecord>();
        while (r.Read())
        {
            string? S(string col) => r.IsDBNull(r.GetOrdinal(col)) ? null : r.GetString(r.GetOrdinal(col));
            var pid = r.GetOrdinal("owner_pid");
            var owner = r.IsDBNull(pid) || S("owner_started_utc") is not { } started || S("owner_host") is not { } host ? null
                : new RunOwner(r.GetInt32(pid), DateTime.Parse(started, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), host);
            var status = Enum.Parse<RunStatus>(S("status")!);
            if (status == RunStatus.Running && (owner is null || !owner.IsAlive())) status = RunStatus.Interrupted;
            list.Add(new RunRecord(
                S("id")!, S("kind")!, S("name")!, status,
                DateTime.Parse(S("created_utc")!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                S("finished_utc") is { } f ? DateTime.Parse(f, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null,
                S("folder"), S("parent_id"), S("options_json")!, S("summary_json"), owner));
        }
        return list;
    }

    private static WorkspaceException UnknownRun(string id) =>
        new(ErrorKind.NotFound, $"No run '{id}' in this workspace. 'hone runs' lists the runs.");

    private static string Iso(DateTime t) => t.ToString("O", CultureInfo.InvariantCulture);

    private void AddOwner(SqliteCommand cmd)
    {
        cmd.Parameters.AddWithValue("$pid", _owner.ProcessId);
        cmd.Parameters.AddWithValue("$started", Iso(_owner.StartedUtc));
        cmd.Parameters.AddWithValue("$host", _owner.Host);
    }

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
#pragma warning disable CA2100 // SQL text is constant in this class; values always go through parameters.
        cmd.CommandText = sql;
#pragma warning restore CA2100
        cmd.Transaction = tx;
        return cmd;
    }

    private void Exec(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var cmd = Command(sql);
        return cmd.ExecuteScalar();
    }
}

/// <summary>Lifecycle of a run.</summary>
public enum RunStatus
{
    /// <summary>Started and not finished; its owner process is alive.</summary>
    Running,
    /// <summary>Finished successfully.</summary>
    Succeeded,
    /// <summary>Stopped with an error.</summary>
    Failed,
    /// <summary>Stopped by the user.</summary>
    Cancelled,
    /// <summary>
    /// Marked running, but the process that ran it is gone (killed, crashed, or from a Hone without owner records):
    /// resumable, or removable with <c>hone runs rm</c>. Derived when a run is read; never stored.
    /// </summary>
    Interrupted,
}

/// <summary>One run as stored.</summary>
/// <param name="Id">Sortable id, <c>KIND-yyyyMMdd-HHmmss-xxxx</c>.</param>
/// <param name="Kind">sft, dpo, rft, eval, …</param>
/// <param name="Name">A readable name (the run folder's or the spec's).</param>
/// <param name="Status">The status; <see cref="RunStatus.Interrupted"/> when marked running and its owner is gone.</param>
/// <param name="CreatedUtc">When it was created.</param>
/// <param name="FinishedUtc">When it ended (terminal statuses only).</param>
/// <param name="Folder">The run's folder, when it has one recorded.</param>
/// <param name="ParentId">The run it continues or derives from.</param>
/// <param name="OptionsJson">Its options.</param>
/// <param name="SummaryJson">Its summary, once finished.</param>
/// <param name="Owner">The process that last started or resumed it (null for runs recorded before owners were).</param>
public sealed record RunRecord(
    string Id, string Kind, string Name, RunStatus Status, DateTime CreatedUtc, DateTime? FinishedUtc,
    string? Folder, string? ParentId, string OptionsJson, string? SummaryJson, RunOwner? Owner = null);
