using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Sft;

namespace Hone.Training.Dpo;

/// <summary>
/// Options of one DPO run (the CLI binds <c>hone train dpo</c> to this record; unknown keys in JSON are errors).
/// Validated once, by <see cref="Validate"/>, before anything runs. The learning rate is the method's SFT base rate
/// (<see cref="SftOptions.LoraBaseLearningRate"/> or <see cref="SftOptions.FullBaseLearningRate"/>) × the multiplier.
/// </summary>
public sealed record DpoOptions
{
    /// <summary>LoRA or full: picks the base learning rate.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs; null = auto, by the data check's rule on the pair count.</summary>
    public int? Epochs { get; init; }

    /// <summary>Pairs per optimiser step; null = auto: clamp(n / 16, 1, <see cref="SftOptions.MaxAutoBatchSize"/>).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Pairs per forward pass (two rows each: chosen, rejected).</summary>
    public int MicroBatchPairs { get; init; } = 2;

    /// <summary>Multiplies the method's base learning rate.</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>β, loss variant and SFT weight.</summary>
    public DpoSettings Dpo { get; init; } = new();

    /// <summary>Share of the steps spent warming the learning rate up linearly.</summary>
    public double WarmupRatio { get; init; } = 0.03;

    /// <summary>Decay after warm-up.</summary>
    public DecayKind Decay { get; init; } = DecayKind.Cosine;

    /// <summary>AdamW decoupled weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Gradient clipping by global norm; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Shuffle seed: a fixed seed gives bit-identical runs.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Steps between validation-batch metrics (<c>valid_*</c>); 0 = none (epoch-end full validation still runs).</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>Token id written into padding positions.</summary>
    public int PadId { get; init; }

    /// <summary>Epoch-end checkpoints kept (the newest ones).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The peak learning rate.</summary>
    [JsonIgnore]
    public double LearningRate => (Method == TrainingMethod.Lora ? SftOptions.LoraBaseLearningRate : SftOptions.FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option and how to fix it.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw Bad("method", Method, "use lora or full");
        if (Epochs is < 1 or > 1000) throw Bad("epochs", Epochs, "use auto or a whole number from 1 to 1000");
        if (BatchSize is < 1 or > 65536) throw Bad("batch-size", BatchSize, "use auto or a whole number ≥ 1");
        if (MicroBatchPairs < 1) throw Bad("micro-batch-pairs", MicroBatchPairs, "use a whole number ≥ 1");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw Bad("lr-multiplier", LearningRateMultiplier, "use a positive number (1 = the base rate)");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw Bad("warmup-ratio", WarmupRatio, "use a share in [0, 1)");
        if (!Enum.IsDefined(Decay)) throw Bad("decay", Decay, "use cosine, linear or constant");
        if (!(WeightDecay >= 0 && WeightDecay < 1)) throw Bad("weight-decay", WeightDecay, "use a number in [0, 1)");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad("max-grad-norm", MaxGradNorm, "use a number ≥ 0 (0 = no clipping)");
        if (EvalEvery < 0) throw Bad("eval-every", EvalEvery, "use 0 (off) or a number of steps");
        if (PadId < 0) throw Bad("pad-id", PadId, "use a token id ≥ 0");
        if (KeepCheckpoints < 1) throw Bad("keep-checkpoints", KeepCheckpoints, "keep at least 1");
        if (Dpo is null) throw Bad("dpo", null, "give the DPO settings (beta, loss, sft weight)");
        Dpo.Validate();
    }

    private static TrainingException Bad(string name, object? value, string fix) =>
        new($"DPO option --{name} = {value?.ToString() ?? "null"} is invalid: {fix}.");

    /// <summary>The options as JSON (the run manifest stores them; <see cref="FromJson"/> reads them back).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SftOptions.JsonOptions);

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static DpoOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<DpoOptions>(json, SftOptions.JsonOptions) ?? throw new TrainingException("DPO options: the JSON is null; give an object such as {\"epochs\": 3}.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"DPO options{(e.Path is null ? "" : " at " + e.Path)}: {e.Message} Use the option names of `hone train dpo --help`.", e);
        }
    }
}
