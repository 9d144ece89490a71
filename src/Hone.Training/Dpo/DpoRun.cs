using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Dpo;

/// <summary>Everything one DPO (or SFT-then-DPO) run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record DpoRunOptions : RunOptions
{
    /// <summary>Preference pairs (OpenAI preference JSONL, HF prompt/chosen/rejected, ShareGPT preference JSON).</summary>
    public required string PairsFile { get; init; }

    /// <summary>DPO trainer options (method, β, loss, SFT weight, epochs, learning-rate multiplier, seed, ...).</summary>
    public DpoOptions Trainer { get; init; } = new();

    /// <summary>
    /// When set, the run has two stages: SFT on the preferred outputs with these options (its method is the DPO
    /// method), then DPO from the SFT model (<c>hone train sft-then-dpo</c>). With LoRA both stages train the same
    /// adapter, so the run exports as one adapter over the base.
    /// </summary>
    public SftOptions? SftStage { get; init; }

    internal override TrainerOptions TrainerOptions => Trainer;

    internal override string TrainInput => PairsFile;

    internal override IReadOnlyList<(string Role, string Path, string What)> Inputs => [("pairs", PairsFile, "Pair file")];

    /// <inheritdoc />
    protected override void ValidateOwn()
    {
        SftStage?.Validate();
        if (SftStage is not null && SftStage.Method != Trainer.Method) throw new TrainingException("sft-then-dpo: both stages use the same method; give one --method.");
    }

    /// <inheritdoc />
    protected override void WriteOwn(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json["sft_stage"] = SftStage is null ? null : JsonNode.Parse(SftStage.ToJson());
    }

    /// <summary>The options a manifest's options object records.</summary>
    internal static DpoRunOptions FromJson(JsonObject j) => new DpoRunOptions
    {
        ModelPath = (string)j["model"]!,
        PairsFile = (string)j["pairs"]!,
        Trainer = DpoOptions.FromJson(j["trainer"]!.ToJsonString()),
        SftStage = j["sft_stage"] is { } s ? SftOptions.FromJson(s.ToJsonString()) : null,
    }.WithShared<DpoRunOptions>(j);
}

/// <summary>The outcome of <see cref="DpoRun.Start"/> or <see cref="DpoRun.Resume"/>.</summary>
/// <param name="RunFolder">The run folder (manifest, reference log-probs, results.csv, chart, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Result">What the DPO trainer reports.</param>
/// <param name="Sft">The SFT stage's result (sft-then-dpo only).</param>
/// <param name="Model">The tuned model (LoRA merged into a copy of the base; full fine-tuning updated in place); the caller disposes it.</param>
/// <param name="Encoder">The tokenizer and chat template the run used.</param>
/// <param name="TrainPairs">Training pairs used.</param>
/// <param name="ValidPairs">Validation pairs used.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record DpoRunResult(string RunFolder, string? RunId, DpoResult Result, SftResult? Sft, LlamaModel Model, ChatEncoder Encoder,
    int TrainPairs, int ValidPairs, double Seconds) : RunResult(RunFolder, RunId, Seconds);

/// <summary>
/// One DPO run end to end: load the base model and its chat encoder, read and tokenize the pairs (prompt masked), build
/// the engine's trainer (full or LoRA), optionally run the SFT stage on the preferred outputs (folder <c>sft/</c>, its
/// metrics in its own results.csv), then <see cref="DpoTrainer"/> with checkpoints, and return the tuned model.
/// A plain DPO run trains in the run folder itself; an SFT-then-DPO run trains its DPO stage in <c>dpo/</c> (with its
/// own run.json, so <c>hone export RUN/dpo</c> works). <see cref="Resume"/> continues either from the newest checkpoints.
/// </summary>
public static class DpoRun
{
    /// <summary>Manifest kind of a DPO run.</summary>
    public const string Kind = "dpo";

    /// <summary>Manifest kind of an SFT-then-DPO run.</summary>
    public const string TwoStageKind = "sft-then-dpo";

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    public static DpoRunResult Start(DpoRunOptions options, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(options, runFolder, store, progress, null, cancellationToken);

    /// <summary>
    /// Starts a new run; the pairs are read, tokenized and fitted to the context before the run is registered or anything
    /// is written, and <paramref name="warn"/> gets each warning before training begins.
    /// </summary>
    public static DpoRunResult Start(DpoRunOptions options, string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kind = options.SftStage is null ? Kind : TwoStageKind;
        return TrainingRun.Start(kind, options, runFolder, store, o => Prepare(o, warn),
            (prepared, runId) => Execute(kind, options, prepared, runFolder, store, runId, progress, cancellationToken));
    }

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/>; a run started with an eval spec gets its checkpoint scorer from
    /// <paramref name="scorerFor"/> (given the spec's path); without one its remaining checkpoints are not scored.
    /// </summary>
    public static DpoRunResult Resume(string runFolder, RunStore? store = null, IProgress<TrainingProgress>? progress = null,
        Action<string>? warn = null, Func<string, ICheckpointScorer>? scorerFor = null, CancellationToken cancellationToken = default) =>
        TrainingRun.Resume(runFolder, store, k => k is Kind or TwoStageKind, "a DPO run", DpoRunOptions.FromJson, scorerFor, o => Prepare(o, warn),
            (kind, options, prepared, runId) => Execute(kind, options, prepared, runFolder, store, runId, progress, cancellationToken));

    /// <summary>
    /// The plan of a run of <paramref name="options"/> without running it (<c>--dry-run</c>): the pairs read, tokenized and
    /// fitted to the context as a run would, nothing written. SFT then DPO gives two plans, the SFT stage's first.
    /// </summary>
    public static IReadOnlyList<RunPlan> Plan(DpoRunOptions options, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var p = Prepare(options, warn, probeEndOfTurn: false);
        p.Model.Dispose();
        var plans = new List<RunPlan>();
        if (options.SftStage is { } sft)
            plans.Add(RunPlan.Of(SftRun.Kind, TrainingPlan.For(sft, p.Train.Count, sft.ResolveBatchSize(p.Train.Count)), p.Train.Count,
                p.Train.Sum(pair => (long)pair.Chosen.Length), null));
        var dpo = TrainingPlan.For(options.Trainer, p.Train.Count, options.Trainer.ResolveBatchSize(p.Train.Count));
        plans.Add(RunPlan.Of(options.SftStage is null ? Kind : TwoStageKind, dpo, p.Train.Count,
            p.Train.Sum(pair => (long)pair.Chosen.Length + pair.Rejected.Length), options.Scorer));
        return plans;
    }

    private static Prepared<PreferencePair> Prepare(DpoRunOptions o, Action<string>? warn, bool probeEndOfTurn = true) =>
        TrainingRun.Prepare(o, warn, PreferenceData.ReadOrThrow,
            (model, encoder, read, set) => PreferenceData.Fit(read, encoder, set, model.Config.MaxSeqLen, o.OnOverflow),
            (model, encoder, train) => probeEndOfTurn
                ? SftRun.EndOfTurnWarning(o.Trainer.Method, o.Lora, model, encoder, [.. train.Select(p => p.Chosen)], o.Threads)
                : null);

    private static DpoRunResult Execute(string kind, DpoRunOptions o, Prepared<PreferencePair> prep, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var (train, valid, model) = (prep.Train, prep.Valid, prep.Model);
        int longest = train.Concat(valid ?? []).Max(pair => Math.Max(pair.Chosen.Length, pair.Rejected.Length));
        bool lora = o.Trainer.Method == TrainingMethod.Lora;
        int rows = Math.Max(2 * o.Trainer.MicroBatchPairs, o.SftStage?.MicroBatchSize ?? 1);
        // The golden set scores the checkpoints of the DPO stage (the only stage, or dpo/ after the SFT stage).
        var root = new RunFolder(runFolder, store, runId) { Scorer = o.SftStage is null ? o.Scorer : null };
        SftResult? sftResult = null;
        LlamaModel tuned = model;
        var result = TrainingRun.Record(store, runId, ct, () =>
        {
            using var pool = new WorkerPool(o.Threads);
            using var engine = new LlamaTrainer(model, rows, longest, lora ? o.Lora : null, pool, o.Recompute);
            RunFolder dpoFolder = root;
            if (o.SftStage is { } sftOptions)
            {
                // Stage 1: SFT on the preferred outputs (prompt masked, exactly the chosen rows of DPO).
                var sftFolder = new RunFolder(Path.Combine(root.Path, "sft"));
                var sft = new SftTrainer(engine, sftOptions with { SequenceLength = longest }, train.Select(p => p.Chosen).ToList(),
                    valid?.Select(p => p.Chosen).ToList(), sftFolder);
                sftFolder.WriteManifest("sft-stage", o.ToJson(null), sft.Resolved, o.DataFiles, Path.GetFullPath(o.ModelPath), null);
                progress?.Report(new TrainingProgress("sft", 0, sft.Epochs, 0, sft.TotalSteps, double.NaN, double.NaN, 0, TimeSpan.Zero));
                sftResult = sft.Run(progress, ct);
                root.AddArtifact("sft/results.csv", sftResult.ResultsCsvPath);
                dpoFolder = new RunFolder(Path.Combine(root.Path, "dpo"), store, runId) { Scorer = o.Scorer };
            }
            // Stage 2 (or the only stage): DPO. With LoRA after SFT the reference is the SFT model: adapters on.
            var dpo = new DpoTrainer(engine, o.Trainer, train, dpoFolder, valid) { ReferenceUsesAdapters = o.SftStage is not null };
            var resolved = new Dictionary<string, object>(dpo.Resolved)
            {
                ["reference"] = o.SftStage is null ? (lora ? "base model, adapters off" : "base model") : "SFT stage model",
            };
            TrainingRun.WriteManifest(root, kind, o, runId, resolved, prep);
            if (dpoFolder != root) TrainingRun.WriteManifest(dpoFolder, Kind, o, null, resolved, prep, hashModel: false);
            var r = dpo.Train(progress, ct);
            tuned = TrainingRun.Tuned(engine, model);
            return r;
        }, r =>
        {
            var last = r.History.Count > 0 ? r.History[^1].Train : default;
            return new
            {
                epochs = r.Epochs, steps = r.Steps, learning_rate = r.LearningRate,
                reward_accuracy = last.RewardAccuracy, reward_margin = last.RewardMargin,
                findings = r.Findings.Select(f => $"{f.Kind}: {f.Message} {f.Suggestion}"),
            };
        });
        return new DpoRunResult(Path.GetFullPath(runFolder), runId, result, sftResult, tuned, prep.Encoder, train.Count, valid?.Count ?? 0,
            (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = prep.Overflow, Warnings = prep.Warnings };
    }
}
