using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Objectives;
using Hone.Training.Sft;

namespace Hone.Training.Rft;

/// <summary>What a grader failure on a sample does to the run.</summary>
public enum GraderErrorPolicy
{
    /// <summary>Record a finding (line + grader message) and drop the prompt's group from the step; the run goes on.</summary>
    Skip,

    /// <summary>Stop the run with the finding.</summary>
    Stop,
}

/// <summary>
/// Options of one reinforcement fine-tuning (GRPO) run; validated once. The learning rate is the method's SFT base
/// rate × the multiplier. Each optimiser step takes <see cref="PromptsPerStep"/> prompts, samples
/// <see cref="SamplesPerPrompt"/> outputs of each from the current model, scores them, and applies one GRPO update.
/// </summary>
public sealed record RftOptions
{
    /// <summary>LoRA or full.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs (passes over the training prompts); null = auto (the data check's rule).</summary>
    public int? Epochs { get; init; }

    /// <summary>Prompts per optimiser step.</summary>
    public int PromptsPerStep { get; init; } = 2;

    /// <summary>G: samples per prompt (a group).</summary>
    public int SamplesPerPrompt { get; init; } = 8;

    /// <summary>Rows per forward pass.</summary>
    public int MicroBatchSize { get; init; } = 8;

    /// <summary>Multiplies the method's base learning rate.</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Clip ε, KL weight β (<c>--kl</c>) and advantage ε.</summary>
    public GrpoSettings Grpo { get; init; } = new();

    /// <summary>Sampling temperature of the rollouts (validation decodes greedily).</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Most new tokens per sample.</summary>
    public int MaxTokens { get; init; } = 64;

    /// <summary>What a grader failure does.</summary>
    public GraderErrorPolicy OnGraderError { get; init; } = GraderErrorPolicy.Skip;

    /// <summary>Gradient clipping by global norm; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Seed of the shuffle and of the samplers.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Steps between validation-batch metrics (<c>valid_reward_mean</c>); 0 = none.</summary>
    public int EvalEvery { get; init; } = 5;

    /// <summary>Checkpoints kept: the best by epoch-end <c>full_valid_mean_reward</c> (plus the newest, for resume).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The peak learning rate (constant after it: no warm-up or decay for RL).</summary>
    [JsonIgnore]
    public double LearningRate => (Method == TrainingMethod.Lora ? SftOptions.LoraBaseLearningRate : SftOptions.FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option and how to fix it.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw Bad("method", Method, "use lora or full");
        if (Epochs is < 1 or > 1000) throw Bad("epochs", Epochs, "use auto or a whole number from 1 to 1000");
        if (PromptsPerStep < 1) throw Bad("prompts-per-step", PromptsPerStep, "use a whole number ≥ 1");
        if (SamplesPerPrompt is < 2 or > 256) throw Bad("samples-per-prompt", SamplesPerPrompt, "use 2..256 (a group needs at least two samples to compare)");
        if (MicroBatchSize < 1) throw Bad("micro-batch-size", MicroBatchSize, "use a whole number ≥ 1");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw Bad("lr-multiplier", LearningRateMultiplier, "use a positive number");
        if (!(Temperature > 0) || float.IsInfinity(Temperature)) throw Bad("temperature", Temperature, "use a positive number (sampling needs variety)");
        if (MaxTokens is < 1 or > 8192) throw Bad("max-tokens", MaxTokens, "use 1..8192");
        if (!Enum.IsDefined(OnGraderError)) throw Bad("on-grader-error", OnGraderError, "use skip or stop");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad("max-grad-norm", MaxGradNorm, "use a number ≥ 0");
        if (EvalEvery < 0) throw Bad("eval-every", EvalEvery, "use 0 (off) or a number of steps");
        if (KeepCheckpoints < 1) throw Bad("keep-checkpoints", KeepCheckpoints, "keep at least 1");
        if (Grpo is null) throw Bad("grpo", null, "give the GRPO settings");
        Grpo.Validate();
    }

    private static TrainingException Bad(string name, object? value, string fix) =>
        new($"RFT option --{name} = {value?.ToString() ?? "null"} is invalid: {fix}.");

    /// <summary>The options as JSON (the run manifest stores them).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SftOptions.JsonOptions);

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static RftOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RftOptions>(json, SftOptions.JsonOptions) ?? throw new TrainingException("RFT options: the JSON is null.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"RFT options{(e.Path is null ? "" : " at " + e.Path)}: {e.Message} Use the option names of `hone train rft --help`.", e);
        }
    }
}
