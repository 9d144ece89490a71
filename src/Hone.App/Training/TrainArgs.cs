using Hone.App.Models;
using Hone.Models.Train;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Sft;

namespace Hone.App.Training;

/// <summary>The LoRA settings of a training command as given: the module lists are comma-separated text.</summary>
/// <param name="Rank">LoRA rank r.</param>
/// <param name="Alpha">LoRA alpha (scale alpha/r).</param>
/// <param name="Targets">The adapted modules, comma-separated, or <c>all-linear</c>.</param>
/// <param name="ModulesToSave">Modules trained in full beside the adapters, comma-separated.</param>
/// <param name="Dropout">Dropout on the adapter input.</param>
/// <param name="BaseDType"><c>f32</c> or <c>bf16</c>: the type the frozen base's linear layers are held in.</param>
/// <param name="TrainableTokens">Token ids whose embedding (and untied output) rows train beside the adapters, comma-separated.</param>
public sealed record LoraArgs(int Rank = 8, float Alpha = 16, string Targets = "all-linear", string ModulesToSave = "", float Dropout = 0, string BaseDType = "f32",
    string TrainableTokens = "")
{
    /// <summary>The adapter options; the LoRA seed is the run's <paramref name="seed"/>.</summary>
    public LoraOptions ToOptions(long seed) => new()
    {
        Rank = Rank,
        Alpha = Alpha,
        Dropout = Dropout,
        Seed = (int)(seed & int.MaxValue),
        TargetModules = TrainText.List(Targets),
        ModulesToSave = TrainText.List(ModulesToSave),
        BaseType = TrainText.BaseType(BaseDType),
        TrainableTokenIndices = TrainText.TokenIds(TrainableTokens, "--trainable-tokens"),
    };
}

/// <summary>
/// What every local training command (<c>train sft|dpo|sft-then-dpo|rft</c>) is given, as given: the base model, where
/// the run goes, and the settings the trainers share, with <c>auto</c> and names still text. The command's own record
/// (<see cref="TrainSftArgs"/>, <see cref="TrainDpoArgs"/>, <see cref="TrainRftArgs"/>) reads them into its request once.
/// </summary>
public sealed record LocalTrainArgs
{
    /// <summary>The base model (paths resolved).</summary>
    public required LocalModel Model { get; init; }

    /// <summary>Where the run goes.</summary>
    public required TrainPlace Place { get; init; }

    /// <summary><c>lora</c> or <c>full</c>.</summary>
    public string Method { get; init; } = "lora";

    /// <summary><c>auto</c> or N.</summary>
    public string Epochs { get; init; } = "auto";

    /// <summary><c>auto</c> or N examples (pairs, prompts) per optimiser step.</summary>
    public string BatchSize { get; init; } = "auto";

    /// <summary>Learning rate = the method's base × this.</summary>
    public double LrMultiplier { get; init; } = 1;

    /// <summary>The run's seed (the LoRA seed too).</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Steps between validation-batch metrics.</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>Engine threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Activation checkpointing: recompute each layer's forward in the backward.</summary>
    public bool Recompute { get; init; }

    /// <summary>Examples longer than the context: drop, truncate or fail.</summary>
    public string OnOverflow { get; init; } = "drop";

    /// <summary>The adapter settings.</summary>
    public LoraArgs Lora { get; init; } = new();

    /// <summary>An eval spec whose golden set scores each epoch's checkpoint, or null.</summary>
    public string? EvalSpec { get; init; }

    internal TrainingMethod TrainingMethod => TrainText.Method(Method);

    internal OverflowPolicy Overflow => OverflowPolicies.Parse(OnOverflow);
}

/// <summary>What <c>hone train sft</c> is given; <see cref="ToRequest"/> reads it into <see cref="TrainSftRequest"/>.</summary>
/// <param name="Common">The shared settings.</param>
/// <param name="TrainFile">Training JSONL (resolved).</param>
public sealed record TrainSftArgs(LocalTrainArgs Common, string TrainFile)
{
    /// <summary>Validation JSONL (resolved), or null.</summary>
    public string? ValidFile { get; init; }

    /// <summary>Take the loss on every token.</summary>
    public bool TrainOnInputs { get; init; }

    /// <summary>Pack several examples per row.</summary>
    public bool Packing { get; init; }

    /// <summary>Which tuned settings were given (the others come from the workspace's train-defaults.json), or null: never.</summary>
    public WorkspaceTrainDefaults? Defaults { get; init; }

    /// <summary>The request; an invalid text is a <see cref="UseCaseException"/>.</summary>
    public TrainSftRequest ToRequest()
    {
        var c = Common;
        var options = new SftRunOptions
        {
            ModelPath = c.Model.Path, TrainFile = TrainFile, ValidFile = ValidFile, TokenizerPath = c.Model.Tokenizer, Template = c.Model.Template,
            Threads = c.Threads, Recompute = c.Recompute, OnOverflow = c.Overflow,
            Trainer = new SftOptions
            {
                Method = c.TrainingMethod, Epochs = TrainText.AutoCount(c.Epochs, "--epochs"), BatchSize = TrainText.AutoCount(c.BatchSize, "--batch-size"),
                LearningRateMultiplier = c.LrMultiplier, Seed = c.Seed, TrainOnInputs = TrainOnInputs, Packing = Packing, EvalEvery = c.EvalEvery,
            },
            Lora = c.Lora.ToOptions(c.Seed),
        };
        return new TrainSftRequest(options, c.Place) { EvalSpec = c.EvalSpec, Defaults = Defaults };
    }
}

/// <summary>What <c>hone train dpo</c> and <c>sft-then-dpo</c> are given; <see cref="ToRequest"/> reads it into <see cref="TrainDpoRequest"/>.</summary>
/// <param name="Common">The shared settings (the SFT stage takes them too).</param>
/// <param name="PairsFile">Preference pairs (resolved).</param>
public sealed record TrainDpoArgs(LocalTrainArgs Common, string PairsFile)
{
    /// <summary>Validation pairs (resolved), or null.</summary>
    public string? ValidFile { get; init; }

    /// <summary><c>auto</c> or a positive number.</summary>
    public string Beta { get; init; } = "auto";

    /// <summary><c>sigmoid</c>, <c>ipo</c> or <c>hinge</c>.</summary>
    public string Loss { get; init; } = "sigmoid";

    /// <summary>Weight of an added SFT term on the chosen completion.</summary>
    public double SftWeight { get; init; }

    /// <summary>The SFT stage's epochs (<c>auto</c> or N): sft-then-dpo; null: DPO alone.</summary>
    public string? SftEpochs { get; init; }

    /// <summary>The request; an invalid text is a <see cref="UseCaseException"/>.</summary>
    public TrainDpoRequest ToRequest()
    {
        var c = Common;
        var method = c.TrainingMethod;
        var batch = TrainText.AutoCount(c.BatchSize, "--batch-size");
        var options = new DpoRunOptions
        {
            ModelPath = c.Model.Path, PairsFile = PairsFile, ValidFile = ValidFile, TokenizerPath = c.Model.Tokenizer, Template = c.Model.Template,
            Threads = c.Threads, Recompute = c.Recompute, OnOverflow = c.Overflow,
            Trainer = new DpoOptions
            {
                Method = method, Epochs = TrainText.AutoCount(c.Epochs, "--epochs"), BatchSize = batch, LearningRateMultiplier = c.LrMultiplier,
                Seed = c.Seed, EvalEvery = c.EvalEvery, Dpo = new DpoSettings(TrainText.Beta(Beta), TrainText.Loss(Loss), SftWeight),
            },
            SftStage = SftEpochs is null ? null : new SftOptions
            {
                Method = method, Epochs = TrainText.AutoCount(SftEpochs, "--sft-epochs"), BatchSize = batch, LearningRateMultiplier = c.LrMultiplier,
                Seed = c.Seed, EvalEvery = c.EvalEvery,
            },
            Lora = c.Lora.ToOptions(c.Seed),
        };
        return new TrainDpoRequest(options, c.Place) { EvalSpec = c.EvalSpec };
    }
}

/// <summary>What <c>hone train rft</c> is given; <see cref="ToRequest"/> reads it into <see cref="TrainRftRequest"/>.</summary>
/// <param name="Common">The shared settings (<see cref="LocalTrainArgs.BatchSize"/> is not used: a step is <see cref="PromptsPerStep"/> groups).</param>
/// <param name="TrainFile">Training prompts (resolved).</param>
/// <param name="ValidFile">Validation prompts (resolved).</param>
/// <param name="GraderFile">The reward's grader file (resolved).</param>
public sealed record TrainRftArgs(LocalTrainArgs Common, string TrainFile, string ValidFile, string GraderFile)
{
    private static readonly RftOptions Defaults = new();

    /// <summary>G: samples per prompt.</summary>
    public int SamplesPerPrompt { get; init; } = Defaults.SamplesPerPrompt;

    /// <summary>Prompts per optimiser step.</summary>
    public int PromptsPerStep { get; init; } = Defaults.PromptsPerStep;

    /// <summary>Weight of the KL penalty to the reference.</summary>
    public double Kl { get; init; } = Defaults.Grpo.KlBeta;

    /// <summary>Sampling temperature of the rollouts.</summary>
    public float Temperature { get; init; } = Defaults.Temperature;

    /// <summary>Most new tokens per sample.</summary>
    public int MaxTokens { get; init; } = Defaults.MaxTokens;

    /// <summary><c>skip</c> or <c>stop</c>.</summary>
    public string OnGraderError { get; init; } = "skip";

    /// <summary>The request; an invalid text is a <see cref="UseCaseException"/>.</summary>
    public TrainRftRequest ToRequest()
    {
        var c = Common;
        var options = new RftRunOptions
        {
            ModelPath = c.Model.Path, TrainFile = TrainFile, ValidFile = ValidFile, GraderFile = GraderFile, TokenizerPath = c.Model.Tokenizer,
            Template = c.Model.Template, Threads = c.Threads, Recompute = c.Recompute, OnOverflow = c.Overflow,
            Trainer = new RftOptions
            {
                Method = c.TrainingMethod, Epochs = TrainText.AutoCount(c.Epochs, "--epochs"), PromptsPerStep = PromptsPerStep,
                SamplesPerPrompt = SamplesPerPrompt, LearningRateMultiplier = c.LrMultiplier, Grpo = Defaults.Grpo with { KlBeta = Kl },
                Temperature = Temperature, MaxTokens = MaxTokens, OnGraderError = TrainText.GraderErrors(OnGraderError), Seed = c.Seed, EvalEvery = c.EvalEvery,
            },
            Lora = c.Lora.ToOptions(c.Seed),
        };
        return new TrainRftRequest(options, c.Place) { EvalSpec = c.EvalSpec };
    }
}
