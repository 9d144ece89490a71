using System.Diagnostics;
using System.Text.Json;
using Hone.Core;
using Hone.Store;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Improve;

/// <summary>One trained and scored trial of a study (a ladder rung, a sweep setting).</summary>
/// <param name="Name">The trial's name (its run folder's name in the study folder).</param>
/// <param name="Folder">The trial's run folder.</param>
/// <param name="Examples">Training examples.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="LrMultiplier">Learning-rate multiplier.</param>
/// <param name="LoraRank">LoRA rank.</param>
/// <param name="Score">The golden-set score of its final checkpoint.</param>
/// <param name="TrainSeconds">Wall time of its training (this call's part when resumed).</param>
/// <param name="ScoreSeconds">Wall time of its scoring.</param>
public sealed record TrialResult(string Name, string Folder, int Examples, int Epochs, double LrMultiplier, int LoraRank, CheckpointScore Score,
    double TrainSeconds, double ScoreSeconds)
{
    /// <summary>Whether it was taken from the study folder instead of run now (a resumed study).</summary>
    public bool Reused { get; init; }
}

/// <summary>
/// A study's folder (<c>study.json</c> plus one run folder per trial), which makes a study resumable: a trial recorded in
/// study.json is never retrained; a trial whose run folder holds a manifest is resumed from its newest checkpoint
/// (<see cref="SftRun.Resume(string, RunStore?, IProgress{TrainingProgress}?, Action{string}?, Func{string, ICheckpointScorer}?, CancellationToken)"/>); a trial folder
/// without one (killed before its first write) is started afresh. study.json is rewritten atomically after each trial.
/// The study's settings are fixed at its start: a study folder reused with other settings is refused.
/// </summary>
public sealed class StudyFolder
{
    private const string FileName = "study.json";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly Dictionary<string, TrialResult> _trials = new(StringComparer.Ordinal);
    private readonly string _kind, _settings;

    private sealed record Document(string Format, string Kind, JsonElement Settings, List<TrialResult> Trials);

    /// <summary>Opens (or creates) the study folder of <paramref name="kind"/> with <paramref name="settings"/> (any JSON-serialisable object).</summary>
    /// <exception cref="TrainingException">The folder holds a study of another kind or with other settings.</exception>
    public StudyFolder(string path, string kind, object settings)
    {
        Path = System.IO.Path.GetFullPath(path);
        _kind = kind;
        _settings = JsonSerializer.Serialize(settings, Json);
        var file = System.IO.Path.Combine(Path, FileName);
        if (File.Exists(file))
        {
            Document doc;
            try
            {
                doc = JsonSerializer.Deserialize<Document>(File.ReadAllText(file), Json) ?? throw new JsonException("empty");
            }
            catch (JsonException e)
            {
                throw new TrainingException($"{file}: damaged ({e.Message}); delete the study folder to start over.", e);
            }
            if (doc.Kind != kind || !System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(doc.Settings.GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(_settings)))
                throw new TrainingException($"{Path} holds a {doc.Kind} study with other settings; give another --out folder, or the settings it was started with.");
            foreach (var t in doc.Trials) _trials[t.Name] = t with { Reused = true };
        }
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The trials recorded so far.</summary>
    public IReadOnlyCollection<TrialResult> Recorded => _trials.Values;

    /// <summary>The recorded trial of <paramref name="name"/>, or null.</summary>
    public TrialResult? Find(string name) => _trials.GetValueOrDefault(name);

    /// <summary>
    /// Trains and scores the trial <paramref name="name"/> (or returns its record): <paramref name="options"/> in the run
    /// folder <c>STUDY/NAME</c>, resumed when killed before, then its final checkpoint scored by <paramref name="scorer"/>.
    /// </summary>
    public TrialResult Run(string name, SftRunOptions options, ICheckpointScorer scorer, RunStore? store,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scorer);
        if (_trials.TryGetValue(name, out var done)) return done;
        var folder = System.IO.Path.Combine(Path, name);
        if (Directory.Exists(folder) && !File.Exists(System.IO.Path.Combine(folder, RunFolder.ManifestFile))) Directory.Delete(folder, recursive: true);
        var clock = Stopwatch.StartNew();
        var run = File.Exists(System.IO.Path.Combine(folder, RunFolder.ManifestFile))
            ? SftRun.Resume(folder, store, progress, null, null, ct)
            : SftRun.Start(options with { Scorer = null, EvalSpec = null }, folder, store, progress, null, ct);
        run.Model.Dispose();
        double trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var score = scorer.Score(folder, run.Result.Epochs, ct);
        var result = new TrialResult(name, folder, run.TrainExamples, run.Result.Epochs, options.Trainer.LearningRateMultiplier, options.Lora.Rank, score,
            trainSeconds, clock.Elapsed.TotalSeconds);
        _trials[name] = result;
        Save();
        return result;
    }

    /// <summary>
    /// Records the finished run in <paramref name="runFolder"/> as the trial <paramref name="name"/> (or returns its
    /// record): a run trained elsewhere with exactly this trial's data and settings (the demo's fine-tune is the largest
    /// rung of its scaling study), so it is not trained twice. Its final checkpoint (<paramref name="epochs"/>) is scored
    /// by <paramref name="scorer"/> as a trial run here would be; <paramref name="trainSeconds"/> is its training time.
    /// </summary>
    /// <exception cref="TrainingException">The folder holds no checkpoint of that epoch.</exception>
    public TrialResult Adopt(string name, string runFolder, int examples, int epochs, SftRunOptions options, double trainSeconds, ICheckpointScorer scorer,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scorer);
        if (_trials.TryGetValue(name, out var done)) return done;
        runFolder = System.IO.Path.GetFullPath(runFolder);
        if (!File.Exists(System.IO.Path.Combine(runFolder, RunFolder.ManifestFile)))
            throw new TrainingException($"{runFolder}: not a run folder (no {RunFolder.ManifestFile}); it cannot stand for the trial {name}.");
        var clock = Stopwatch.StartNew();
        var score = scorer.Score(runFolder, epochs, ct);
        var result = new TrialResult(name, runFolder, examples, epochs, options.Trainer.LearningRateMultiplier, options.Lora.Rank, score, trainSeconds,
            clock.Elapsed.TotalSeconds);
        _trials[name] = result;
        Save();
        return result;
    }

    private void Save()
    {
        Directory.CreateDirectory(Path);
        var doc = new Document("hone-study/1", _kind, JsonDocument.Parse(_settings).RootElement.Clone(),
            [.. _trials.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t with { Reused = false })]);
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, FileName), JsonSerializer.Serialize(doc, Json));
    }
}
