using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hone.Core;
using Hone.Formats.Safetensors;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Loop;
using Hone.Training.Optim;

namespace Hone.Training.Runs;

/// <summary>What a checkpoint records besides the tensors: where the run stood after an epoch.</summary>
public sealed record CheckpointState
{
    /// <summary>Format tag.</summary>
    public string Format { get; init; } = Checkpoints.FormatTag;

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; init; }

    /// <summary>Optimiser steps completed.</summary>
    public long Step { get; init; }

    /// <summary>The random generator's state after the epoch (as decimal strings: JSON numbers lose 64-bit precision).</summary>
    public string[] Random { get; init; } = [];

    /// <summary>SHA-256 of the options JSON the run was started with (a resume with other options is refused).</summary>
    public string OptionsSha256 { get; init; } = "";

    /// <summary>SHA-256 of the tensor file.</summary>
    public string StateSha256 { get; init; } = "";

    /// <summary>The model's dropout counter (<see cref="ITrainableModel.DropoutStep"/>); null in checkpoints of the earlier format, which did not keep it.</summary>
    public long? DropoutStep { get; init; }

    /// <summary>Per-step metrics so far.</summary>
    public List<StepRecord> History { get; init; } = [];

    /// <summary>Epoch-end metrics so far.</summary>
    public List<EpochRecord> EpochHistory { get; init; } = [];
}

/// <summary>
/// Epoch checkpoints in <c>RUN/checkpoints/epoch-NNNN/</c>, one format for every kind of run: <c>state.safetensors</c>
/// (parameters as <c>param.NAME</c>, AdamW moments as <c>adam_m.NAME</c> / <c>adam_v.NAME</c>, the AdamW step in the
/// metadata) and <c>checkpoint.json</c> (<see cref="CheckpointState"/>: epoch, step, random state, options hash, dropout
/// counter and the metric history). A checkpoint is written into a temporary folder and renamed into place, so a folder
/// named <c>epoch-NNNN</c> is always whole; the newest <c>keep</c> are kept (or the best, see <see cref="KeepBest"/>).
/// Checkpoints of the earlier format (<see cref="LegacyCheckpoint.FormatTag"/>) still load.
/// </summary>
public static class Checkpoints
{
    /// <summary>Format tag in checkpoint.json.</summary>
    public const string FormatTag = "hone-checkpoint/2";

    /// <summary>Format tag in the metadata of state.safetensors, whose layout is the same in both formats.</summary>
    public const string StateFormatTag = LegacyCheckpoint.FormatTag;

    private const string StateFile = "state.safetensors";
    private const string ManifestFile = "checkpoint.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>SHA-256 (hex) of an options JSON string.</summary>
    public static string HashOptions(string optionsJson) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(optionsJson)));

    /// <summary>Writes the checkpoint of epoch <paramref name="state"/>.Epoch and prunes old ones. Returns its folder.</summary>
    public static string Save(string checkpointsPath, IReadOnlyList<TrainableParameter> parameters, AdamW optimizer,
        CheckpointState state, int keep)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        Directory.CreateDirectory(checkpointsPath);
        var final = Path.Combine(checkpointsPath, FolderName(state.Epoch));
        var temp = Path.Combine(checkpointsPath, $".tmp-{FolderName(state.Epoch)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            var writer = new SafetensorsWriter();
            writer.Metadata["format"] = StateFormatTag;
            writer.Metadata["adam_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                var shape = p.Value.Shape.Select(d => (long)d).ToArray();
                writer.Add("param." + p.Name, shape, p.Value.Span);
                writer.Add("adam_m." + p.Name, shape, optimizer.FirstMoment(i));
                writer.Add("adam_v." + p.Name, shape, optimizer.SecondMoment(i));
            }
            var statePath = Path.Combine(temp, StateFile);
            using (var fs = File.Create(statePath)) writer.Write(fs);
            var withHash = state with { StateSha256 = RunFolder.Sha256File(statePath) };
            AtomicFile.WriteAllText(Path.Combine(temp, ManifestFile), JsonSerializer.Serialize(withHash, Json));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        foreach (var old in List(checkpointsPath).SkipLast(keep)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Whole checkpoint folders, oldest first.</summary>
    public static IReadOnlyList<string> List(string checkpointsPath) =>
        !Directory.Exists(checkpointsPath) ? [] :
        Directory.GetDirectories(checkpointsPath, "epoch-*")
            .Where(d => File.Exists(Path.Combine(d, ManifestFile)))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>The epoch a checkpoint folder (<c>epoch-NNNN</c>) holds, or -1 for a name of another form.</summary>
    public static int EpochOf(string folder) =>
        int.TryParse(Path.GetFileName(folder).AsSpan("epoch-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) ? epoch : -1;

    /// <summary>The newest checkpoint folder, or null.</summary>
    public static string? Latest(string checkpointsPath) => List(checkpointsPath).LastOrDefault();

    /// <summary>
    /// Keeps the newest checkpoint and the best <paramref name="keep"/> by the epoch-end <paramref name="metric"/>
    /// (higher is better; epochs without it rank last, newest first), deleting the others.
    /// </summary>
    public static void KeepBest(string checkpointsPath, IReadOnlyList<EpochRecord> epochs, string metric, int keep)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var all = List(checkpointsPath);
        var byEpoch = epochs.Where(e => e.Metrics.ContainsKey(metric)).ToDictionary(e => e.Epoch, e => e.Metrics[metric]);
        var ranked = all.Select(f => (Folder: f, Epoch: EpochOf(f)))
            .OrderByDescending(x => byEpoch.TryGetValue(x.Epoch, out var r) ? r : double.NegativeInfinity).ThenByDescending(x => x.Epoch)
            .Take(keep).Select(x => x.Folder).ToHashSet();
        if (all.Count > 0) ranked.Add(all[^1]);
        foreach (var f in all.Where(f => !ranked.Contains(f))) Directory.Delete(f, recursive: true);
    }

    /// <summary>Keeps the newest <paramref name="keep"/> checkpoints and the one of <paramref name="bestEpoch"/>, deleting the others.</summary>
    public static void KeepNewestAndBest(string checkpointsPath, int keep, int bestEpoch)
    {
        var all = List(checkpointsPath);
        var kept = all.TakeLast(keep).ToHashSet(StringComparer.Ordinal);
        foreach (var f in all.Where(f => !kept.Contains(f) && EpochOf(f) != bestEpoch)) Directory.Delete(f, recursive: true);
    }

    /// <summary>
    /// Rewrites a checkpoint's manifest with <paramref name="update"/> applied to its state (e.g. the epoch's golden-set
    /// score added to the history); the tensor file and its hash stay as they are. Atomic.
    /// </summary>
    public static void UpdateState(string folder, Func<CheckpointState, CheckpointState> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var path = Path.Combine(folder, ManifestFile);
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), Json)
            ?? throw new TrainingException($"{path}: empty checkpoint manifest.");
        var updated = update(state) with { StateSha256 = state.StateSha256, Format = state.Format };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(updated, Json));
    }

    /// <summary>
    /// Loads a checkpoint into the parameters and the optimiser and returns its state. Checks the format, the tensor
    /// file's hash, the options hash and every tensor's name and shape. A checkpoint of the earlier format is read
    /// with the history of a run of <paramref name="kind"/> (sft, dpo, rft), which that format kept in kind-specific shapes.
    /// </summary>
    public static CheckpointState Load(string folder, IReadOnlyList<TrainableParameter> parameters, AdamW optimizer, string optionsSha256, string kind)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        var manifestPath = Path.Combine(folder, ManifestFile);
        CheckpointState state;
        try
        {
            var text = File.ReadAllText(manifestPath);
            var format = JsonNode.Parse(text)?["format"]?.GetValue<string>();
            state = format == LegacyCheckpoint.FormatTag ? LegacyCheckpoint.Read(text, folder, kind)
                : JsonSerializer.Deserialize<CheckpointState>(text, Json)
                  ?? throw new TrainingException($"{manifestPath}: empty checkpoint manifest; delete this checkpoint folder to resume from the one before.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new TrainingException($"{manifestPath}: damaged checkpoint manifest ({e.Message}); delete this checkpoint folder to resume from the one before.", e);
        }
        if (state.Format != FormatTag && state.Format != LegacyCheckpoint.FormatTag)
            throw new TrainingException($"{manifestPath}: format '{state.Format}' is neither {FormatTag} nor {LegacyCheckpoint.FormatTag}; this checkpoint was written by another Hone.");
        if (state.OptionsSha256 != optionsSha256)
            throw new TrainingException($"{manifestPath}: the checkpoint was written with other options than this run's; resume with the options in the run manifest (run.json).");
        var statePath = Path.Combine(folder, StateFile);
        if (!File.Exists(statePath) || RunFolder.Sha256File(statePath) != state.StateSha256)
            throw new TrainingException($"{statePath}: missing or its SHA-256 differs from the checkpoint manifest; delete this checkpoint folder to resume from the one before.");
        using var file = SafetensorsFile.Open(statePath);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            Read(file, "param." + p.Name, p.Value.Span, statePath);
            Read(file, "adam_m." + p.Name, optimizer.FirstMoment(i), statePath);
            Read(file, "adam_v." + p.Name, optimizer.SecondMoment(i), statePath);
        }
        if (!file.Metadata.TryGetValue("adam_step", out var s) || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var adamStep))
            throw new TrainingException($"{statePath}: the metadata lacks a valid adam_step; the checkpoint is damaged.");
        optimizer.StepCount = adamStep;
        return state;
    }

    /// <summary>The random state stored in <paramref name="state"/>.</summary>
    public static ulong[] RandomState(CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var r = new ulong[state.Random.Length];
        for (int i = 0; i < r.Length; i++)
        {
            if (!ulong.TryParse(state.Random[i], NumberStyles.None, CultureInfo.InvariantCulture, out r[i]))
                throw new TrainingException($"Checkpoint of epoch {state.Epoch}: random state entry {i} '{state.Random[i]}' is not a number; the checkpoint is damaged.");
        }
        return r;
    }

    /// <summary>The random state as stored in a checkpoint.</summary>
    public static string[] EncodeRandom(ReadOnlySpan<ulong> state)
    {
        var r = new string[state.Length];
        for (int i = 0; i < r.Length; i++) r[i] = state[i].ToString(CultureInfo.InvariantCulture);
        return r;
    }

    private static void Read(SafetensorsFile file, string name, Span<float> into, string path)
    {
        if (!file.HasTensor(name)) throw new TrainingException($"{path}: tensor '{name}' is missing; the checkpoint belongs to another model or method.");
        var src = file.GetF32Span(name);
        if (src.Length != into.Length) throw new TrainingException($"{path}: tensor '{name}' has {src.Length} values, the model {into.Length}; the checkpoint belongs to another model.");
        src.CopyTo(into);
    }

    private static string FolderName(int epoch) => "epoch-" + epoch.ToString("D4", CultureInfo.InvariantCulture);
}
