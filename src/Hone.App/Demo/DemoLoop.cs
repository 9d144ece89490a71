using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hone.App.Export;
using Hone.App.Models;
using Hone.App.Training;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Data.Samples;
using Hone.Data.Splitting;
using Hone.Models.Chat;
using Hone.Models.Train;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Demo;
using Hone.Training.Export;
using Hone.Training.Improve;
using Hone.Training.Loop;
using Hone.Training.Sft;
using Microsoft.Extensions.AI;

namespace Hone.App.Demo;

/// <summary>
/// Use case "run the demo": the whole loop on a built-in task, offline. It generates the task's examples and golden
/// set, catches planted data problems, checks and splits the clean set, builds a small Llama base model (a tokenizer
/// learned from the task's domain and a brief pretraining that never shows the task; cached in the workspace),
/// measures the base model on the golden set with the task's graders (an eval run), compares the task's prompt direct
/// and one-shot (the prompt stage), fine-tunes with LoRA, measures again, and records the demo in the run store.
/// </summary>
public static class DemoLoop
{
    private const int DemoBatchSize = 8;

    /// <summary>The built-in base model's ids of the task's JSON key tokens (<see cref="Hone.Training.Demo.DemoBaseModel.TaskKeyTokenIds"/>).</summary>
    private static int[] KeyTokens(string modelPath) => Hone.Training.Demo.DemoBaseModel.TaskKeyTokenIds(ChatEncoder.Load(modelPath, null, null).Tokenizer);

    /// <summary>Data-parallel shards of the fine-tunes on the built-in model (each micro-batch of 8 rows split 4 + 4).</summary>
    private const int BuiltinShards = 2;

    /// <summary>Runs the demo; <paramref name="observer"/> shows its steps and long phases as they happen.</summary>
    public static async Task<DemoResult> RunAsync(DemoRequest request, IDemoObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        IDemoObserver o = observer ?? new SilentObserver();
        var s = request;
        var root = s.Folder ?? Path.Combine(Path.GetTempPath(), "hone-demo-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var total = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        var ws = Workspace.Find(root) is { } existing && existing.Root == Path.GetFullPath(root)
            ? existing
            : Workspace.Init(root, new WorkspaceConfig { Task = "order-extraction", DefaultModel = s.ModelPath ?? "builtin:demo" });
        o.Report(new DemoStarted(ws.Root));

        // 1. The task: examples that carry the best prompt, and a golden test set with reference fields.
        var clock = Stopwatch.StartNew();
        var cases = OrderExtractionTask.Generate(s.EffectiveExamples + s.GoldenCases, s.Seed);
        var pool = cases.Take(s.EffectiveExamples).ToList();
        var golden = cases.Skip(s.EffectiveExamples).ToList();
        var trainPath = Path.Combine(ws.DataDir, "orders.jsonl");
        var goldenPath = Path.Combine(ws.DataDir, "golden.jsonl");
        JsonlWriter.Write(trainPath, pool.Select(OrderExtractionTask.ToChatExample));
        JsonlWriter.WriteLines(goldenPath, golden, c => JsonSerializer.Serialize(new
        {
            id = "g" + golden.IndexOf(c).ToString("D3", CultureInfo.InvariantCulture),
            messages = new[] { new { role = "system", content = OrderExtractionTask.SystemPrompt }, new { role = "user", content = c.Sentence } },
            reference = JsonSerializer.Deserialize<JsonElement>(c.AnswerJson),
        }));
        var specPath = DemoGoldenEval.WriteSpec(ws, goldenPath);
        o.Report(new DemoTaskGenerated(pool.Count, trainPath, golden.Count, goldenPath));

        // 2. Data QA catches what goes wrong in real sets: a duplicate, a contradiction, a turn without an answer.
        var flawedPath = Path.Combine(ws.DataDir, "orders.flawed.jsonl");
        var flawed = pool.Select(OrderExtractionTask.ToChatExample).ToList();
        flawed.Add(OrderExtractionTask.ToChatExample(pool[0]));
        var contradiction = OrderExtractionTask.ToChatExample(pool[1]);
        contradiction.Messages[2] = new ChatMessage(ChatRole.Assistant, pool[1].AnswerJson.Replace(pool[1].City, "Nowhere", StringComparison.Ordinal));
        flawed.Add(contradiction);
        flawed.Add(new ChatExample { Messages = [new ChatMessage(ChatRole.System, OrderExtractionTask.SystemPrompt), new ChatMessage(ChatRole.User, pool[2].Sentence)] });
        JsonlWriter.Write(flawedPath, flawed);
        var checkOptions = new DataCheckOptions { Model = "gpt-4o-mini-2024-07-18" };
        var flawedReport = new DataChecker(checkOptions).Check(flawedPath);
        o.Report(new DemoPlantedChecked(flawedReport));

        // 3. The clean set passes, with token statistics and a cost estimate for a hosted fine-tune.
        var report = new DataChecker(checkOptions).Check(trainPath);
        o.Report(new DemoCleanChecked(report));

        // 4. Split and ladder.
        var split = Splitter.Split(new SplitOptions { InputPath = trainPath, ValidFraction = 0.2, Seed = s.Seed });
        var trainSplit = split.Parts.First(x => x.Name == "train").Path;
        var validSplit = split.Parts.FirstOrDefault(x => x.Name == "valid")?.Path;
        var ladder = Ladder.Build(new LadderOptions { InputPath = trainSplit, Seed = s.Seed, OutputDirectory = Path.Combine(ws.DataDir, "ladder") });
        var parts = split.Parts.Select(x => new DemoSplitPart(x.Name, x.Count, x.Path)).ToList();
        var sizes = ladder.Rungs.Select(r => r.Size).ToList();
        o.Report(new DemoSplitDone(parts, sizes));
        phases["data"] = clock.Elapsed.TotalSeconds;
        var result = new DemoResult(ws.Root, trainPath, goldenPath, flawedReport.CountsByCode, report.Errors, report.Warnings, report.Tokens, report.Cost, parts, sizes)
        {
            Seconds = phases,
        };
        if (report.HasErrors)
        {
            o.Report(new DemoStopped(report.Errors));
            return result;
        }

        // 5. The base model: the built-in one (built once per workspace) or the user's.
        clock.Restart();
        DemoBaseModel baseModel;
        if (s.ModelPath is null)
        {
            var options = s.EffectiveBaseOptions;
            var folder = Path.Combine(ws.Root, "models", s.Quick ? "demo-base-quick" : "demo-base");
            var built = o.Train("pretraining the base model", progress => DemoBaseModelBuilder(options, folder, progress, ct));
            baseModel = new DemoBaseModel(built.Path, true, built.Cached, built.Parameters, built.VocabSize, built.PretrainTokens, built.Steps, built.FirstLoss,
                built.FinalLoss, built.Seconds);
        }
        else baseModel = new DemoBaseModel(s.ModelPath, false);
        o.Report(new DemoBaseModelReady(baseModel));
        phases["base_model"] = clock.Elapsed.TotalSeconds;
        var local = new LocalModel(baseModel.Path, s.TokenizerPath, s.Template);

        // 6. Baseline on the golden set, then the prompt stage (direct against one-shot).
        using var store = ws.OpenStore();
        clock.Restart();
        DemoScore before;
        using (var baseClient = local.LoadClient())
            before = await DemoGoldenEval.RunAsync(ws, store, specPath, "local:" + baseModel.Path, baseClient, golden, o, "base model on the golden set", ct).ConfigureAwait(false);
        phases["baseline_eval"] = clock.Elapsed.TotalSeconds;
        o.Report(new DemoScored(false, before));
        clock.Restart();
        var variantCases = s.Quick ? 4 : 8;
        var variants = await DemoPromptStage.RunAsync(ws, local, pool[0], specPath, variantCases, ct).ConfigureAwait(false);
        phases["prompt_variants"] = clock.Elapsed.TotalSeconds;
        o.Report(new DemoPromptVariantsDone(variantCases, variants));

        // 7. LoRA fine-tune. On the built-in model each micro-batch is split over two data-parallel shards (its matrices are
        // too small to split well across threads, so one trainer would leave the second core mostly idle); the shards,
        // not the threads, fix the results. A real model (--model) has its matmuls split across the threads instead.
        clock.Restart();
        var runFolder = Path.Combine(ws.RunsDir, "demo-sft-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture));
        // A validation batch about 40 times in the run (the width of the curves printed), at most every 5 steps: validation
        // only measures, and every 5 steps it cost the 1200-step fine-tune about a tenth of its time.
        var steps = (split.Parts.First(x => x.Name == "train").Count + DemoBatchSize - 1) / DemoBatchSize * s.EffectiveEpochs;
        var sftOptions = new SftRunOptions
        {
            ModelPath = baseModel.Path,
            TokenizerPath = s.TokenizerPath,
            Template = s.Template,
            TrainFile = trainSplit,
            ValidFile = validSplit,
            Threads = s.Threads,
            DataParallel = s.ModelPath is null ? BuiltinShards : 1,
            Trainer = new SftOptions
            {
                Method = TrainingMethod.Lora, Epochs = s.EffectiveEpochs, BatchSize = DemoBatchSize, MicroBatchSize = DemoBatchSize,
                LearningRateMultiplier = s.EffectiveLrMultiplier, Seed = s.Seed, EvalEvery = Math.Max(5, steps / 40), WarmupRatio = 0.05,
            },
            Lora = new LoraOptions
            {
                Rank = s.LoraRank, Alpha = 2 * s.LoraRank, Seed = s.Seed, TargetModules = ["all-linear"],
                TrainableTokenIndices = s.ModelPath is null && s.TrainKeyTokens ? KeyTokens(baseModel.Path) : [],
            },
        };
        // Checkpoints scored on the golden set (about three of them, the last included): the best is kept and exported.
        var scorer = EveryNthEpochScorer.Spread(GoldenSetScorer.For(ws, store, specPath), s.EffectiveEpochs, DemoRequest.ScoredCheckpoints);
        var tuned = o.Train("LoRA fine-tune", progress => SftRun.Start(sftOptions with { EvalSpec = specPath, Scorer = scorer }, runFolder, store, progress, ct));
        tuned.Model.Dispose();
        var adopted = new AdoptedRun(tuned.RunFolder, tuned.Result.Epochs, tuned.Seconds);
        var export = ExportRun.Run(new ExportRequest(tuned.RunFolder, ws.Root, "adapter"));
        phases["fine_tune"] = clock.Elapsed.TotalSeconds;
        var sft = tuned.Result;
        var fineTune = new DemoFineTune(tuned.RunId, tuned.RunFolder, sft.Epochs, sft.Steps, sft.BatchSize, sft.LearningRate, s.LoraRank, tuned.TrainExamples,
            tuned.ValidExamples, sft.ResultsCsvPath, sft.ChartPath, sft.History, sft.EpochHistory, DiagnosisEntry.Of(sft.Findings))
        {
            Detail = sft, Seconds = tuned.Seconds, GoldenScores = sft.GoldenScores, Best = sft.Best,
            Export = new DemoExport(export.Path, export.Epoch, export.ChosenBy),
        };
        o.Report(new DemoFineTuned(fineTune));

        // 8. The tuned model on the same golden set: the checkpoint exported (the best by golden-set score).
        clock.Restart();
        DemoScore after;
        using (var tunedClient = RunChatClient.Load(tuned.RunFolder, export.Epoch))
            after = await DemoGoldenEval.RunAsync(ws, store, specPath, tunedClient.ModelId, tunedClient, golden, o, "tuned model on the golden set", ct).ConfigureAwait(false);
        phases["tuned_eval"] = clock.Elapsed.TotalSeconds;
        o.Report(new DemoScored(true, after));

        // 9. Double the data and measure: the ladder's half and all of the training split (the fine-tune above), same settings, scored on the golden set.
        clock.Restart();
        var scaling = o.Train("scaling: half the data (all of it is the fine-tune above)",
            progress => DemoScaling.Run(ws, store, specPath, sftOptions, () => adopted, s.Seed, progress, ct));
        phases["scaling"] = clock.Elapsed.TotalSeconds;
        o.Report(new DemoScaled(scaling));

        // Record the demo.
        var run = store.CreateRun("demo", "demo loop", JsonSerializer.Serialize(new { examples = s.EffectiveExamples, seed = s.Seed, quick = s.Quick, model = baseModel.Path }));
        store.LogMetrics(run.Id, 0, [
            new("examples", pool.Count), new("golden_cases", golden.Count), new("check_errors", report.Errors),
            new("planted_problems_found", flawedReport.Errors + flawedReport.Warnings), new("base_accuracy", before.Accuracy),
            new("tuned_accuracy", after.Accuracy), new("base_field_accuracy", before.FieldMean), new("tuned_field_accuracy", after.FieldMean),
        ]);
        store.AddArtifact(run.Id, "train", trainPath, null, new FileInfo(trainPath).Length);
        store.AddArtifact(run.Id, "golden", goldenPath, null, new FileInfo(goldenPath).Length);
        store.SetStatus(run.Id, RunStatus.Succeeded);
        phases["total"] = total.Elapsed.TotalSeconds;
        return result with
        {
            Run = run.Id,
            BaseModel = baseModel,
            PromptVariants = variants,
            Before = before,
            After = after,
            FineTune = fineTune,
            Scaling = scaling,
            Examples = [.. DemoGoldenEval.SideBySide(before, after, 3).Select(i =>
                new DemoExample(golden[i].Sentence, before.Results[i].Output, after.Results[i].Output, golden[i].AnswerJson, before.Results[i].Pass, after.Results[i].Pass))],
        };
    }

    private static DemoBaseModelInfo DemoBaseModelBuilder(DemoBaseModelOptions options, string folder, IProgress<Hone.Training.Runs.TrainingProgress> progress,
        CancellationToken ct) => Hone.Training.Demo.DemoBaseModel.Build(options, folder, progress, ct);

    private sealed class SilentObserver : IDemoObserver
    {
        public void Report(DemoEvent e) { }

        public T Train<T>(string what, Func<IProgress<Hone.Training.Runs.TrainingProgress>, T> work) => NoPhaseProgress.Instance.Train(what, work);

        public Task<T> EvalAsync<T>(string what, Func<IProgress<Hone.Evals.Runs.EvalProgress>?, Task<T>> work) => NoPhaseProgress.Instance.EvalAsync(what, work);
    }
}
