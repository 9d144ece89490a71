using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Loop;
using Hone.Training.Runs;

namespace Hone.Training.Sft;

/// <summary>Everything one supervised fine-tuning run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record SftRunOptions : RunOptions
{
    /// <summary>Training JSONL (chat SFT or prompt/completion).</summary>
    public required string TrainFile { get; init; }

    /// <summary>Trainer options (method, epochs, batch size, learning-rate multiplier, seed, ...).</summary>
    public SftOptions Trainer { get; init; } = new();

    /// <summary>
    /// Data-parallel shards (1: none): with 2 or more, each micro-batch is split by rows over that many trainers that run
    /// side by side on the threads and add their gradients in a fixed order (<see cref="DataParallelTrainer"/>). Results
    /// depend on the shards, never on the threads; for small models, whose matrices are too small to split well across
    /// threads (the demo's built-in model). Stored in the manifest (a resumed run keeps it).
    /// </summary>
    public int DataParallel { get; init; } = 1;

    internal override TrainerOptions TrainerOptions => Trainer;

    internal override string TrainInput => TrainFile;

    internal override IReadOnlyList<(string Role, string Path, string What)> Inputs => [("train", TrainFile, "Training file")];

    /// <inheritdoc />
    protected override void ValidateOwn()
    {
        if (DataParallel is < 1 or > 64) throw new TrainingException($"Data-parallel shards {DataParallel} must be between 1 and 64.");
        if (DataParallel > 1 && Recompute) throw new TrainingException("Data-parallel shards do not recompute activations: give one or the other.");
    }

    /// <inheritdoc />
    protected override void WriteOwn(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (DataParallel > 1) json["data_parallel"] = DataParallel;
    }

    /// <summary>The options a manifest's options object records.</summary>
    internal static SftRunOptions FromJson(JsonObject j) =>
        new SftRunOptions
        {
            ModelPath = (string)j["model"]!, TrainFile = (string)j["train"]!, Trainer = SftOptions.FromJson(j["trainer"]!.ToJsonString()),
            DataParallel = (int?)j["data_parallel"] ?? 1,
        }.WithShared<SftRunOptions>(j);
}

/// <summary>The outcome of <see cref="SftRun.Start"/> or <see cref="SftRun.Resume"/>.</summary>
/// <param name="RunFolder">The run folder (manifest, results.csv, chart, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Result">What the trainer reports.</param>
/// <param name="Model">The tuned model (LoRA merged into a copy of the base; full fine-tuning updated in place); the caller disposes it.</param>
/// <param name="Encoder">The tokenizer and chat template the run used.</param>
/// <param name="TrainExamples">Training examples used.</param>
/// <param name="ValidExamples">Validation examples used.</param>
/// <param name="Seconds">Wall time of the training.</param>
public sealed record SftRunResult(string RunFolder, string? RunId, SftResult Result, LlamaModel Model, ChatEncoder Encoder,
    int TrainExamples, int ValidExamples, double Seconds) : RunResult(RunFolder, RunId, Seconds);

/// <summary>
/// One SFT run end to end: load the base model and its chat encoder, tokenize the data with the exact loss mask,
/// build the engine's trainer (full or LoRA), run <see cref="SftTrainer"/> with checkpoints in a run folder, and
/// return the tuned model. <see cref="Resume"/> continues a killed run from its manifest and newest checkpoint.
/// </summary>
public static class SftRun
{
    /// <summary>The manifest key holding the <see cref="SftRunOptions"/>.</summary>
    public const string Kind = "sft";

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    public static SftRunResult Start(SftRunOptions options, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(options, runFolder, store, progress, null, cancellationToken);

    /// <summary>
    /// Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent). The data are read, tokenized
    /// and fitted to the context (<see cref="RunOptions.OnOverflow"/>) before the run is registered or anything is
    /// written; <paramref name="warn"/> gets each warning before training begins.
    /// </summary>
    public static SftRunResult Start(SftRunOptions options, string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default) =>
        TrainingRun.Start(Kind, options, runFolder, store, o => Prepare(o, warn),
            (prepared, runId) => Execute(options, prepared, runFolder, store, runId, progress, cancellationToken));

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/>; a run started with an eval spec gets its checkpoint scorer from
    /// <paramref name="scorerFor"/> (given the spec's path); without one its remaining checkpoints are not scored.
    /// </summary>
    public static SftRunResult Resume(string runFolder, RunStore? store = null, IProgress<TrainingProgress>? progress = null,
        Action<string>? warn = null, Func<string, ICheckpointScorer>? scorerFor = null, CancellationToken cancellationToken = default) =>
        TrainingRun.Resume(runFolder, store, k => k == Kind, "an SFT run", SftRunOptions.FromJson, scorerFor, o => Prepare(o, warn),
            (_, options, prepared, runId) => Execute(options, prepared, runFolder, store, runId, progress, cancellationToken));

    /// <summary>Reads chat SFT or prompt/completion JSONL into tokenized examples; a bad line is an error naming it.</summary>
    public static List<TokenizedExample> ReadExamples(string path, ChatEncoder encoder) =>
        [.. SftData.Read(path, encoder).Select(s => s.Example)];

    /// <summary>
    /// The plan of a run of <paramref name="options"/> without running it (<c>--dry-run</c>): the data read, tokenized and fitted
    /// to the context as a run would, nothing written; <paramref name="warn"/> gets the overflow warnings.
    /// </summary>
    public static RunPlan Plan(SftRunOptions options, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var p = TrainingRun.Prepare<List<SourcedExample>, TokenizedExample>(options, warn, SftData.Read, Fit(options), (_, _, _) => null);
        p.Model.Dispose();
        var plan = TrainingPlan.For(options.Trainer, p.Train.Count, options.Trainer.ResolveBatchSize(p.Train.Count));
        return RunPlan.Of(Kind, plan, p.Train.Count, p.Train.Sum(e => (long)e.Length), options.Scorer);
    }

    private static Prepared<TokenizedExample> Prepare(SftRunOptions o, Action<string>? warn) =>
        TrainingRun.Prepare<List<SourcedExample>, TokenizedExample>(o, warn, SftData.Read, Fit(o),
            (model, encoder, train) => EndOfTurnWarning(o.Trainer.Method, o.Lora, model, encoder, train, o.Threads));

    private static Func<LlamaModel, ChatEncoder, List<SourcedExample>, string, (List<TokenizedExample>, OverflowReport)> Fit(SftRunOptions o) =>
        (model, encoder, read, set) =>
        {
            int context = model.Config.MaxSeqLen;
            if (o.Trainer.SequenceLength > context)
                throw new TrainingException($"SFT option --sequence-length = {o.Trainer.SequenceLength} exceeds the model's context of {context}; use at most {context}.");
            var (kept, report) = SftData.Fit(read, encoder, set, o.Trainer.SequenceLength ?? context, o.OnOverflow);
            SftData.Check(kept, model.Config.VocabSize, o.Trainer.TrainOnInputs, requireTargets: set == "training");
            return ([.. kept.Select(s => s.Example)], report);
        };

    /// <summary>
    /// For a LoRA run whose modules to save do not cover the output head, nor its trainable tokens the end-of-turn token: the warning of <see cref="EndOfTurnCheck"/>
    /// about the data's end-of-turn token, or null.
    /// </summary>
    internal static string? EndOfTurnWarning(TrainingMethod method, LoraOptions lora, LlamaModel model, ChatEncoder encoder,
        IReadOnlyList<TokenizedExample> examples, int threads)
    {
        if (method != TrainingMethod.Lora) return null;
        if (EndOfTurnCheck.EndOfTurnId(examples) is not { } id || id >= model.Config.VocabSize || EndOfTurnCheck.OutputRowTrains(lora, model.Config, id)) return null;
        using var pool = new WorkerPool(threads);
        return EndOfTurnCheck.Warning(model, id, $"'{encoder.Tokenizer.TokenText(id)}'", examples, pool);
    }

    private static SftRunResult Execute(SftRunOptions o, Prepared<TokenizedExample> p, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var (train, valid, model) = (p.Train, p.Valid, p.Model);
        var sequence = o.Trainer.SequenceLength ?? train.Concat(valid ?? []).Max(e => e.Length);
        var trainerOptions = o.Trainer with { SequenceLength = sequence };
        var folder = new RunFolder(runFolder, store, runId) { Scorer = o.Scorer };
        LlamaModel tuned = model;
        var result = TrainingRun.Record(store, runId, ct, () =>
        {
            using var pool = new WorkerPool(o.Threads);
            var lora = o.Trainer.Method == TrainingMethod.Lora ? o.Lora : null;
            if (o.DataParallel > 1)
            {
                using var shards = new DataParallelTrainer(model, trainerOptions.MicroBatchSize, sequence, o.DataParallel, lora, pool);
                var rs = Train(shards);
                tuned = TrainingRun.Tuned(shards.IsLora, shards.MergedWeights, model);
                return rs;
            }

            using var engine = new LlamaTrainer(model, trainerOptions.MicroBatchSize, sequence, lora, pool, o.Recompute);
            var r = Train(engine);
            tuned = TrainingRun.Tuned(engine, model);
            return r;

            SftResult Train(ITrainableModel e)
            {
                var sft = new SftTrainer(e, trainerOptions, train, valid, folder);
                TrainingRun.WriteManifest(folder, Kind, o, runId, sft.Resolved, p);
                return sft.Run(progress, ct);
            }
        }, r => new
        {
            epochs = r.Epochs, steps = r.Steps, learning_rate = r.LearningRate,
            findings = r.Findings.Select(f => $"{f.Kind}: {f.Message} {f.Suggestion}"),
            dropped = p.Overflow.Sum(x => x.Dropped), truncated = p.Overflow.Sum(x => x.Truncated),
        });
        return new SftRunResult(Path.GetFullPath(runFolder), runId, result, tuned, p.Encoder, train.Count, valid?.Count ?? 0,
            (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = p.Overflow, Warnings = p.Warnings };
    }
}
