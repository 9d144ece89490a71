using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training;
using Hone.Training.Dpo;
using Hone.Training.Export;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.FineTuning;

/// <summary>
/// Trains one fine-tuning job with the local engine: its method's run (<see cref="SftRun"/>, <see cref="DpoRun"/>,
/// <see cref="RftRun"/>, LoRA on all linear layers) in the job's run folder under the run store, started fresh or resumed
/// from the newest checkpoint when the folder already has a run; progress becomes the job's events (a metrics event per
/// step, one per checkpoint), the resolved hyperparameters are written back, and on success the tuned model is exported
/// as a merged folder that the server serves under <see cref="ModelName"/>.
/// </summary>
internal sealed class JobRunner(FineTuningOptions options, FineTuningStore store)
{
    /// <summary>The tuned model's name: <c>ft:BASE:hone:SUFFIX:JOBID</c> (OpenAI's form).</summary>
    public static string ModelName(JobRecord job, string baseModelId) =>
        $"ft:{baseModelId}:hone:{job.Suffix ?? ""}:{job.Id["ftjob-".Length..][..8]}";

    /// <summary>Trains <paramref name="job"/>; cancelling stops at the next step and throws <see cref="OperationCanceledException"/>.</summary>
    public void Run(JobRecord job, CancellationToken ct)
    {
        var jobDir = Path.Combine(options.Folder, "jobs", job.Id);
        var runFolder = Path.Combine(jobDir, "run");
        var resume = System.IO.File.Exists(Path.Combine(runFolder, RunFolder.ManifestFile));
        if (!resume && Directory.Exists(runFolder)) Directory.Delete(runFolder, recursive: true); // stopped before anything was written
        store.SetRun(job.Id, runFolder, null);
        store.SetStatus(job.Id, JobStatus.Running);
        var latest = resume ? Checkpoints.Latest(Path.Combine(runFolder, "checkpoints")) : null;
        if (latest is not null)
            store.AddEvent(job.Id, "info", $"Fine-tuning job resumed from its checkpoint of epoch {Checkpoints.EpochOf(latest)}");
        else
            store.AddEvent(job.Id, "info", resume ? "Fine-tuning job restarted (no checkpoint yet)" : "Fine-tuning job started");
        try
        {
            using var runs = RunStore.Open(options.DatabasePath);
            var progress = new JobProgress(store, job, runFolder, p => options.ProgressHook?.Invoke(p, ct));
            var hyper = JsonNode.Parse(job.HyperparametersJson)!.AsObject();
            var train = InputFile(job.TrainingFile);
            var valid = job.ValidationFile is { } v ? InputFile(v) : null;
            var lora = new LoraOptions { Rank = options.LoraRank, Alpha = 2 * options.LoraRank, TargetModules = ["all-linear"], Seed = (int)job.Seed };
            int? epochs = Int(hyper, "n_epochs"), batch = Int(hyper, "batch_size");
            double lrm = Number(hyper, "learning_rate_multiplier") ?? 1.0;
            string? runId;
            switch (job.Method)
            {
                case "dpo":
                {
                    var o = new DpoRunOptions
                    {
                        ModelPath = options.BaseModelPath, TokenizerPath = options.TokenizerPath, Template = options.Template, PairsFile = train, ValidFile = valid,
                        Threads = options.Threads, Lora = lora,
                        Trainer = new DpoOptions
                        {
                            Epochs = epochs, BatchSize = batch, LearningRateMultiplier = lrm, Seed = job.Seed,
                            Dpo = new DpoSettings(Beta: Number(hyper, "beta") ?? DpoSettings.DefaultBeta),
                        },
                    };
                    var r = resume ? DpoRun.Resume(runFolder, runs, progress, cancellationToken: ct) : DpoRun.Start(o, runFolder, runs, progress, null, ct);
                    r.Model.Dispose();
                    runId = r.RunId;
                    break;
                }
                case "reinforcement":
                {
                    var grader = Path.Combine(jobDir, "grader.json");
                    if (!resume) AtomicFile.WriteAllText(grader, job.GraderJson!);
                    var o = new RftRunOptions
                    {
                        ModelPath = options.BaseModelPath, TokenizerPath = options.TokenizerPath, Template = options.Template, TrainFile = train, ValidFile = valid,
                        GraderFile = grader, Threads = options.Threads, Lora = lora,
                        Trainer = new RftOptions
                        {
                            Epochs = epochs, LearningRateMultiplier = lrm, Seed = job.Seed, PromptsPerStep = batch ?? 2,
                            SamplesPerPrompt = SamplesPerPrompt(Number(hyper, "compute_multiplier")),
                        },
                    };
                    var load = options.LoadReward!;
                    runId = (resume ? RftRun.Resume(runFolder, load, runs, progress, cancellationToken: ct) : RftRun.Start(o, load, runFolder, runs, progress, null, ct)).RunId;
                    break;
                }
                default:
                {
                    var o = new SftRunOptions
                    {
                        ModelPath = options.BaseModelPath, TokenizerPath = options.TokenizerPath, Template = options.Template, TrainFile = train, ValidFile = valid,
                        Threads = options.Threads, Lora = lora,
                        Trainer = new SftOptions { Epochs = epochs, BatchSize = batch, LearningRateMultiplier = lrm, Seed = job.Seed, EvalEvery = 0 },
                    };
                    var r = resume ? SftRun.Resume(runFolder, runs, progress, cancellationToken: ct) : SftRun.Start(o, runFolder, runs, progress, null, ct);
                    r.Model.Dispose();
                    runId = r.RunId;
                    store.SetProgress(job.Id, progress.Hyperparameters(hyper).ToJsonString(), TrainedTokens(r.Encoder, train, r.Result.Epochs));
                    break;
                }
            }
            store.SetRun(job.Id, runFolder, runId);
            var modelDir = Path.Combine(jobDir, "model");
            Exporter.Export(runFolder, new Hone.Training.Export.ExportOptions { Format = ExportFormat.Merged, Output = modelDir, Force = true });
            var name = ModelName(job, options.BaseModelId);
            store.Succeed(job.Id, name, modelDir);
            store.AddEvent(job.Id, "info", "New fine-tuned model created: " + name);
            store.AddEvent(job.Id, "info", "The job has successfully completed");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is TrainingException or IOException or InvalidDataException or JsonException or FormatException or ArgumentException
            or InvalidOperationException or UnauthorizedAccessException)
        {
            var error = new JsonObject { ["code"] = e is TrainingException ? "invalid_training_data" : "training_failed", ["message"] = e.Message, ["param"] = null };
            store.Fail(job.Id, error.ToJsonString());
            store.AddEvent(job.Id, "error", "Fine-tuning job failed: " + e.Message);
        }
    }

    private string InputFile(string fileId) => store.FindFile(fileId)?.Path
        ?? throw new TrainingException($"File '{fileId}' was deleted after the job was created; upload it again and create a new job.");

    /// <summary>Samples drawn per prompt: compute_multiplier × 8 (the default), at least 2 (a group needs two to compare).</summary>
    internal static int SamplesPerPrompt(double? computeMultiplier) => Math.Max(2, (int)Math.Round(8 * (computeMultiplier ?? 1.0)));

    private static int? Int(JsonObject h, string name) => h[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    private static double? Number(JsonObject h, string name) => h[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    /// <summary>Tokens trained: the training examples' tokens (prompt and answer) × epochs.</summary>
    private static long TrainedTokens(ChatEncoder encoder, string train, int epochs) =>
        SftRun.ReadExamples(train, encoder).Sum(e => (long)e.Length) * epochs;

    /// <summary>Turns the trainer's progress into the job's events (synchronously, on the training thread).</summary>
    private sealed class JobProgress(FineTuningStore store, JobRecord job, string runFolder, Action<TrainingProgress> hook) : IProgress<TrainingProgress>
    {
        private bool _resolved;
        private int _epochs;
        private int? _batch;

        public JsonObject Hyperparameters(JsonObject requested)
        {
            var h = requested.DeepClone().AsObject();
            if (_epochs > 0) h["n_epochs"] = _epochs;
            if (_batch is { } b) h["batch_size"] = b;
            if (h["learning_rate_multiplier"] is JsonValue v && v.TryGetValue<string>(out _)) h["learning_rate_multiplier"] = 1.0;
            if (h["beta"] is JsonValue bv && bv.TryGetValue<string>(out _)) h["beta"] = DpoSettings.DefaultBeta;
            return h;
        }

        public void Report(TrainingProgress p)
        {
            if (!_resolved)
            {
                _resolved = true;
                _epochs = p.Epochs;
                try
                {
                    var manifest = JsonNode.Parse(System.IO.File.ReadAllText(Path.Combine(runFolder, RunFolder.ManifestFile)));
                    _batch = (int?)manifest?["resolved"]?["batch_size"];
                }
                catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
                {
                    _batch = null;
                }
                var current = store.FindJob(job.Id);
                store.SetProgress(job.Id, Hyperparameters(JsonNode.Parse(job.HyperparametersJson)!.AsObject()).ToJsonString(), current?.TrainedTokens ?? 0);
            }
            switch (p.Phase)
            {
                case "train":
                    var data = new JsonObject
                    {
                        ["step"] = p.Step,
                        ["total_steps"] = p.TotalSteps,
                        ["train_loss"] = Finite(p.Loss),
                        ["train_mean_token_accuracy"] = Finite(p.Accuracy),
                    };
                    store.AddEvent(job.Id, "info", string.Create(CultureInfo.InvariantCulture, $"Step {p.Step}/{p.TotalSteps}: training loss={p.Loss:0.0000}"), "metrics", data.ToJsonString());
                    break;
                case "checkpoint":
                    store.AddEvent(job.Id, "info", $"Checkpoint created at step {p.Step} (epoch {p.Epoch}/{p.Epochs})");
                    break;
            }
            hook(p);
        }

        private static JsonNode? Finite(double d) => double.IsFinite(d) ? d : null;
    }
}
