using System.Text.Json.Serialization;
using Hone.App.Training;
using Hone.Data.Checks;
using Hone.Data.Cost;
using Hone.Evals.Compare;
using Hone.Prompting.Techniques;
using Hone.Training;
using Hone.Training.Demo;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.App.Demo;

/// <summary>What <see cref="DemoLoop"/> is asked. Null sizes take the defaults of the chosen mode.</summary>
public sealed record DemoRequest
{
    /// <summary>The demo's workspace folder; null: a new folder under the system temp folder.</summary>
    public string? Folder { get; init; }

    /// <summary>Training examples to generate (20-100,000); null: 400, or 60 with <see cref="Quick"/>.</summary>
    public int? Examples { get; init; }

    /// <summary>Seed of the generated task, the base model and the fine-tune.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Small sizes (a tiny base model, few examples): the loop in seconds.</summary>
    public bool Quick { get; init; }

    /// <summary>A model to run the loop on instead of the built-in one, or null.</summary>
    public string? ModelPath { get; init; }

    /// <summary>A tokenizer for <see cref="ModelPath"/> when it has none beside it, or null.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>A built-in chat template for <see cref="ModelPath"/>, or null.</summary>
    public string? Template { get; init; }

    /// <summary>LoRA epochs (1-100); null: 30, or 6 with <see cref="Quick"/>.</summary>
    public int? Epochs { get; init; }

    /// <summary>LoRA learning-rate multiplier; null: 25 on the built-in model, 1 on <see cref="ModelPath"/>.</summary>
    public double? LrMultiplier { get; init; }

    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 16;

    /// <summary>
    /// Whether the fine-tune of the built-in model also trains the embedding and head rows of the task's JSON key tokens
    /// (<see cref="Hone.Training.Demo.DemoBaseModel.TaskKeyTokenIds"/>, LoRA's trainable tokens), which pretraining never
    /// trains. Off by default: it lowers the fine-tune's loss floor (about 1.1 to 0.4) but did not make the recipe's
    /// golden-set score more robust across seeds and base shard counts (bench demo-recipe --key-tokens yes|no, 2026-12-08).
    /// </summary>
    public bool TrainKeyTokens { get; init; }

    /// <summary>Engine threads (1-256).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The built-in base model's recipe (sizes, pretraining, data-parallel shards); null: <see cref="DemoBaseModelOptions"/>'s
    /// defaults, or its <see cref="DemoBaseModelOptions.Quick"/> preset with <see cref="Quick"/>. Its seed and threads are
    /// replaced by <see cref="Seed"/> and <see cref="Threads"/>. Only for the built-in model (not with <see cref="ModelPath"/>).
    /// </summary>
    public DemoBaseModelOptions? BaseOptions { get; init; }

    /// <summary>The built-in base model's options: <see cref="BaseOptions"/> or the preset, with this request's seed and threads.</summary>
    public DemoBaseModelOptions EffectiveBaseOptions =>
        (BaseOptions ?? (Quick ? DemoBaseModelOptions.Quick : new DemoBaseModelOptions())) with { Seed = Seed, Threads = Threads };

    /// <summary>The training examples to generate.</summary>
    public int EffectiveExamples => Examples ?? (Quick ? 60 : 400);

    /// <summary>The golden cases to generate.</summary>
    public int GoldenCases => Quick ? 30 : 120;

    /// <summary>The LoRA epochs.</summary>
    public int EffectiveEpochs => Epochs ?? (Quick ? 6 : 30);

    /// <summary>How many of the fine-tune's checkpoints are scored on the golden set (evenly spaced, the last among them).</summary>
    public const int ScoredCheckpoints = 3;

    /// <summary>The LoRA learning-rate multiplier.</summary>
    public double EffectiveLrMultiplier => LrMultiplier ?? (ModelPath is null ? 25 : 1);

    /// <summary>Checks the sizes and the model path.</summary>
    /// <exception cref="UseCaseException">A value out of range, or a model that is not there.</exception>
    public void Validate()
    {
        if (EffectiveExamples is < 20 or > 100_000) throw new UseCaseException("--examples must be between 20 and 100,000.");
        if (Threads is < 1 or > 256) throw new UseCaseException("--threads must be between 1 and 256.");
        if (EffectiveEpochs is < 1 or > 100) throw new UseCaseException("--epochs must be between 1 and 100.");
        if (ModelPath is not null && !File.Exists(ModelPath) && !Directory.Exists(ModelPath))
            throw new UseCaseException($"--model {ModelPath} not found: give a Hugging Face folder, a .gguf file or a llama2.c checkpoint.");
        if (BaseOptions is not null && ModelPath is not null)
            throw new UseCaseException("The base model's options apply to the built-in model only: give them or --model, not both.");
        try
        {
            if (ModelPath is null) EffectiveBaseOptions.Validate();
        }
        catch (TrainingException e)
        {
            throw new UseCaseException(e.Message);
        }
    }
}

/// <summary>One golden case answered by a model and graded.</summary>
/// <param name="Sentence">The user's sentence.</param>
/// <param name="Reference">The reference JSON.</param>
/// <param name="Output">What the model wrote (greedy).</param>
/// <param name="Pass">Every field matches.</param>
/// <param name="FieldScores">1 or 0 per field (all 0 when the output is not JSON).</param>
public sealed record DemoCase(string Sentence, string Reference, string Output, bool Pass, IReadOnlyDictionary<string, double> FieldScores);

/// <summary>
/// A model's accuracy on the golden set: exact match (every field right) with its 95% Wilson interval over the cases,
/// and mean per-field accuracy with its 95% Wilson interval over the case × field decisions.
/// </summary>
/// <param name="EvalRun">The eval run recorded in the workspace's store.</param>
/// <param name="Passed">Cases with every field right.</param>
/// <param name="Accuracy">Passed / cases.</param>
/// <param name="Ci95">The 95% Wilson interval of <paramref name="Accuracy"/>.</param>
/// <param name="ValidJson">Share of outputs that are a JSON object.</param>
/// <param name="Fields">Accuracy per field.</param>
/// <param name="FieldMean">Mean of <paramref name="Fields"/>.</param>
/// <param name="FieldCi95">The 95% Wilson interval of <paramref name="FieldMean"/>.</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
public sealed record DemoScore(string EvalRun, int Passed, double Accuracy, double[] Ci95, double ValidJson, IReadOnlyDictionary<string, double> Fields,
    double FieldMean, double[] FieldCi95, double Seconds)
{
    /// <summary>Every case, in golden-set order.</summary>
    [JsonIgnore]
    public IReadOnlyList<DemoCase> Results { get; init; } = [];

    /// <summary>The number of cases.</summary>
    public int Cases => Results.Count;
}

/// <summary>The base model of the demo: the built-in one (built or reused) or the user's.</summary>
public sealed record DemoBaseModel(string Path, bool Builtin, bool? Cached = null, long? Parameters = null, int? VocabSize = null, long? PretrainTokens = null,
    long? PretrainSteps = null, double? PretrainLossFirst = null, double? PretrainLossFinal = null, double? PretrainSeconds = null);

/// <summary>One part of the split.</summary>
public sealed record DemoSplitPart(string Name, int Count, string Path);

/// <summary>The LoRA fine-tune of the demo.</summary>
public sealed record DemoFineTune(string? Run, string Folder, int Epochs, long Steps, int BatchSize, double LearningRate, int LoraRank, int TrainExamples,
    int ValidExamples, string ResultsCsv, string Chart, IReadOnlyList<MetricRow> History, IReadOnlyList<EpochMetrics> EpochsMetrics,
    IReadOnlyList<DiagnosisEntry> Diagnosis)
{
    /// <summary>The trainer's full result (curves, findings) for a report.</summary>
    [JsonIgnore]
    public SftResult Detail { get; init; } = null!;

    /// <summary>Training wall time.</summary>
    [JsonIgnore]
    public double Seconds { get; init; }

    /// <summary>The golden-set score of each scored checkpoint.</summary>
    public IReadOnlyList<GoldenScore> GoldenScores { get; init; } = [];

    /// <summary>The checkpoint that scored best on the golden set (kept), or null.</summary>
    public BestCheckpoint? Best { get; init; }

    /// <summary>The adapter exported by default (the best checkpoint), or null.</summary>
    public DemoExport? Export { get; init; }
}

/// <summary>The demo's export of its fine-tune, as <c>hone export RUN</c> does it by default.</summary>
/// <param name="Path">The adapter folder.</param>
/// <param name="Epoch">The checkpoint's epoch.</param>
/// <param name="ChosenBy">Why that checkpoint ("best by golden_accuracy" when the run scored its checkpoints).</param>
public sealed record DemoExport(string Path, int Epoch, string ChosenBy);

/// <summary>A golden case shown side by side.</summary>
public sealed record DemoExample(string Input, string BaseOutput, string TunedOutput, string Reference, bool BasePass, bool TunedPass);

/// <summary>The result of <see cref="DemoLoop"/> (its <c>--json</c> document). After a failed data check only the data part is set.</summary>
public sealed record DemoResult(string Workspace, string Train, string Golden, IReadOnlyDictionary<string, long> PlantedFindings, long CleanErrors, long CleanWarnings,
    TokenStats? Tokens, CostEstimate? Cost, IReadOnlyList<DemoSplitPart> Split, IReadOnlyList<int> Ladder)
{
    /// <summary>The demo's run in the workspace's store.</summary>
    public string? Run { get; init; }

    /// <summary>The base model.</summary>
    public DemoBaseModel? BaseModel { get; init; }

    /// <summary>The prompt stage: the task's prompt direct and one-shot on the base model.</summary>
    public VariantsResult? PromptVariants { get; init; }

    /// <summary>The base model on the golden set.</summary>
    public DemoScore? Before { get; init; }

    /// <summary>The tuned model on the golden set.</summary>
    public DemoScore? After { get; init; }

    /// <summary>Exact-match accuracy gained.</summary>
    public double? Improvement => After is null || Before is null ? null : After.Accuracy - Before.Accuracy;

    /// <summary>Mean field accuracy gained.</summary>
    public double? FieldImprovement => After is null || Before is null ? null : After.FieldMean - Before.FieldMean;

    /// <summary>The fine-tune.</summary>
    public DemoFineTune? FineTune { get; init; }

    /// <summary>The scaling step: half the data against all of it.</summary>
    public DemoScaling? Scaling { get; init; }

    /// <summary>Up to three golden cases side by side: first those the tuning fixed, then those it broke, then any.</summary>
    public IReadOnlyList<DemoExample>? Examples { get; init; }

    /// <summary>Seconds per phase (data, base_model, baseline_eval, prompt_variants, fine_tune, tuned_eval, scaling, total).</summary>
    public IReadOnlyDictionary<string, double> Seconds { get; init; } = new Dictionary<string, double>();

    /// <summary>False when the clean set had errors and the demo stopped before training.</summary>
    [JsonIgnore]
    public bool Completed => After is not null;
}

/// <summary>A step of the demo as it happens, for a caller that shows the loop live.</summary>
public abstract record DemoEvent;

/// <summary>The demo's workspace is ready.</summary>
public sealed record DemoStarted(string Workspace) : DemoEvent;

/// <summary>Step 1: the examples and the golden set are written.</summary>
public sealed record DemoTaskGenerated(int Examples, string TrainPath, int GoldenCases, string GoldenPath) : DemoEvent;

/// <summary>Step 2: the data check on a copy with planted problems.</summary>
public sealed record DemoPlantedChecked(DataCheckReport Report) : DemoEvent;

/// <summary>Step 3: the data check on the clean set.</summary>
public sealed record DemoCleanChecked(DataCheckReport Report) : DemoEvent;

/// <summary>Step 4: the split and the data ladder.</summary>
public sealed record DemoSplitDone(IReadOnlyList<DemoSplitPart> Parts, IReadOnlyList<int> Ladder) : DemoEvent;

/// <summary>Step 5: the base model is ready.</summary>
public sealed record DemoBaseModelReady(DemoBaseModel Model) : DemoEvent;

/// <summary>Steps 6 and 8: a model measured on the golden set (<paramref name="Tuned"/> false: the base).</summary>
public sealed record DemoScored(bool Tuned, DemoScore Score) : DemoEvent;

/// <summary>Step 6b: the prompt stage on the base model.</summary>
public sealed record DemoPromptVariantsDone(int Cases, VariantsResult Result) : DemoEvent;

/// <summary>Step 7: the LoRA fine-tune.</summary>
public sealed record DemoFineTuned(DemoFineTune FineTune) : DemoEvent;

/// <summary>The clean set had errors; the demo stops before training.</summary>
public sealed record DemoStopped(long CleanErrors) : DemoEvent;

/// <summary>Shows the demo live: its long phases (<see cref="IPhaseProgress"/>) and each step as it completes.</summary>
public interface IDemoObserver : IPhaseProgress
{
    /// <summary>A step completed.</summary>
    void Report(DemoEvent e);
}

/// <summary>Statistics the demo's scores use.</summary>
internal static class DemoStatistics
{
    public static double[] Wilson(double p, int n)
    {
        var i = EvalStatistics.Wilson(p, n);
        return [i.Low, i.High];
    }
}
