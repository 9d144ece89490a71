using System.Text.Json.Serialization;
using Hone.Training.Loop;
using Hone.Training.Objectives;

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
/// Options of one reinforcement fine-tuning (GRPO) run; validated once: the shared trainer settings (a constant learning
/// rate, the method's base rate × the multiplier) plus the rollout and GRPO settings. Each optimiser step takes
/// <see cref="PromptsPerStep"/> prompts, samples <see cref="SamplesPerPrompt"/> outputs of each from the current model,
/// scores them, and applies one GRPO update.
/// </summary>
public sealed record RftOptions : TrainerOptions
{
    /// <summary>Options with RFT's defaults (a validation batch every 5 steps).</summary>
    public RftOptions() => EvalEvery = 5;

    /// <summary>Prompts per optimiser step.</summary>
    [JsonPropertyOrder(20)]
    public int PromptsPerStep { get; init; } = 2;

    /// <summary>G: samples per prompt (a group).</summary>
    [JsonPropertyOrder(25)]
    public int SamplesPerPrompt { get; init; } = 8;

    /// <summary>Rows per forward pass.</summary>
    [JsonPropertyOrder(30)]
    public int MicroBatchSize { get; init; } = 8;

    /// <summary>Clip ε, KL weight β (<c>--kl</c>) and advantage ε.</summary>
    [JsonPropertyOrder(50)]
    public GrpoSettings Grpo { get; init; } = new();

    /// <summary>Sampling temperature of the rollouts (validation decodes greedily).</summary>
    [JsonPropertyOrder(51)]
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Most new tokens per sample.</summary>
    [JsonPropertyOrder(52)]
    public int MaxTokens { get; init; } = 64;

    /// <summary>What a grader failure does.</summary>
    [JsonPropertyOrder(53)]
    public GraderErrorPolicy OnGraderError { get; init; } = GraderErrorPolicy.Skip;

    /// <inheritdoc />
    protected override string Label => "RFT";

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static RftOptions FromJson(string json) => Read<RftOptions>(json, "RFT", "rft");

    /// <inheritdoc />
    protected override void ValidateOwn()
    {
        if (PromptsPerStep < 1) throw Bad("prompts-per-step", PromptsPerStep, "use a whole number ≥ 1");
        if (SamplesPerPrompt is < 2 or > 256) throw Bad("samples-per-prompt", SamplesPerPrompt, "use 2..256 (a group needs at least two samples to compare)");
        if (MicroBatchSize < 1) throw Bad("micro-batch-size", MicroBatchSize, "use a whole number ≥ 1");
        if (!(Temperature > 0) || float.IsInfinity(Temperature)) throw Bad("temperature", Temperature, "use a positive number (sampling needs variety)");
        if (MaxTokens is < 1 or > 8192) throw Bad("max-tokens", MaxTokens, "use 1..8192");
        if (!Enum.IsDefined(OnGraderError)) throw Bad("on-grader-error", OnGraderError, "use skip or stop");
        if (Grpo is null) throw Bad("grpo", null, "give the GRPO settings");
        Grpo.Validate();
    }
}
