using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Store;
using Hone.Training.Loop;

namespace Hone.Training.Runs;

/// <summary>
/// Where a training run writes: its folder (manifest, results CSV, chart, checkpoints) and, optionally, the
/// workspace's run store (metrics under their fixed names, artifacts).
/// </summary>
public sealed class RunFolder
{
    /// <summary>File name of the run manifest.</summary>
    public const string ManifestFile = "run.json";

    /// <summary>File name of the results CSV.</summary>
    public const string ResultsFile = "results.csv";

    /// <summary>Creates (when missing) the folder; <paramref name="store"/> and <paramref name="runId"/> go together.</summary>
    public RunFolder(string path, RunStore? store = null, string? runId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if ((store is null) != (runId is null)) throw new ArgumentException("A run store needs the run id, and a run id needs its store.", nameof(runId));
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
        Store = store;
        RunId = runId;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The run store, when the run is recorded in one.</summary>
    public RunStore? Store { get; }

    /// <summary>The run's id in <see cref="Store"/>.</summary>
    public string? RunId { get; }

    /// <summary>
    /// Scores each epoch's checkpoint on the task (a golden set); null: checkpoints are kept by the objective's own rule.
    /// With a scorer the loop records the score beside the losses and keeps the best checkpoint (<see cref="BestCheckpoint"/>).
    /// </summary>
    public ICheckpointScorer? Scorer { get; init; }

    /// <summary>Folder holding the epoch checkpoints.</summary>
    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>Records metric values for a step in the run store (no-op without one).</summary>
    public void LogMetrics(long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        if (Store is not null) Store.LogMetrics(RunId!, step, values);
    }

    /// <summary>Records a file of the run folder as an artifact (with SHA-256 and size) in the run store.</summary>
    public void AddArtifact(string name, string path)
    {
        if (Store is null) return;
        Store.AddArtifact(RunId!, name, path, Sha256File(path), new FileInfo(path).Length);
    }

    /// <summary>Writes the results CSV (<see cref="ResultsFile"/>) of <paramref name="rows"/> atomically; metrics a step did not measure are empty cells.</summary>
    public string WriteResultsCsv(ResultsTable table, IReadOnlyList<StepRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Write(System.IO.Path.Combine(Path, ResultsFile), rows);
    }

    /// <summary>
    /// Writes the run manifest atomically: kind, all options, the resolved values (epochs, batch size, steps,
    /// learning rate), each data file with its SHA-256, the model's identity and hash, and versions.
    /// </summary>
    public string WriteManifest(string kind, string optionsJson, IReadOnlyDictionary<string, object> resolved,
        IReadOnlyDictionary<string, string> dataFiles, string? modelPath, string? modelSha256)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(dataFiles);
        var data = new JsonObject();
        foreach (var (role, file) in dataFiles)
            data[role] = new JsonObject { ["path"] = System.IO.Path.GetFullPath(file), ["sha256"] = Sha256File(file) };
        var res = new JsonObject();
        foreach (var (k, v) in resolved) res[k] = JsonSerializer.SerializeToNode(v);
        var root = new JsonObject
        {
            ["format"] = "hone-run/1",
            ["kind"] = kind,
            ["created_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["options"] = JsonNode.Parse(optionsJson),
            ["resolved"] = res,
            ["data"] = data,
            ["model"] = new JsonObject { ["path"] = modelPath, ["sha256"] = modelSha256 },
            ["versions"] = new JsonObject
            {
                ["hone"] = typeof(RunFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                           ?? typeof(RunFolder).Assembly.GetName().Version?.ToString(),
                ["dotnet"] = Environment.Version.ToString(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            },
        };
        var path = System.IO.Path.Combine(Path, ManifestFile);
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256File(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
