using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Optim;

namespace Hone.Training.Sft;

/// <summary>Full fine-tuning or LoRA: decides the base learning rate.</summary>
public enum TrainingMethod
{
    /// <summary>Low-rank adapters; only the adapter matrices are trained.</summary>
    Lora,

    /// <summary>Every weight is trained.</summary>
    Full,
}

/// <summary>
/// Options of one SFT run (the CLI binds <c>hone train sft</c> to this record; unknown keys in JSON are errors).
/// Validated once, by <see cref="Validate"/>, before anything runs.
/// </summary>
public sealed record SftOptions
{
    /// <summary>Base learning rate of a LoRA run (× <see cref="LearningRateMultiplier"/>): 2e-4, the common LoRA default.</summary>
    public const double LoraBaseLearningRate = 2e-4;

    /// <summary>Base learning rate of a full fine-tuning run (× <see cref="LearningRateMultiplier"/>): 2e-5.</summary>
    public const double FullBaseLearningRate = 2e-5;

    /// <summary>Largest automatic batch size.</summary>
    public const int MaxAutoBatchSize = 8;

    /// <summary>LoRA or full: picks the base learning rate.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs; null = auto, by <see cref="Hone.Data.Cost.EpochRule.AutoEpochs"/> (the data check's rule).</summary>
    public int? Epochs { get; init; }

    /// <summary>Examples per optimiser step; null = auto: clamp(n / 16, 1, <see cref="MaxAutoBatchSize"/>).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Rows per forward pass; a step with more rows accumulates gradients over several passes.</summary>
    public int MicroBatchSize { get; init; } = 4;

    /// <summary>Multiplies the method's base learning rate.</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Share of the steps spent warming the learning rate up linearly (rounded up to whole steps).</summary>
    public double WarmupRatio { get; init; } = 0.03;

    /// <summary>Decay after warm-up.</summary>
    public DecayKind Decay { get; init; } = DecayKind.Cosine;

    /// <summary>AdamW decoupled weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Gradient clipping by global norm; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Seed of the shuffle (and of anything else random in the run): a fixed seed gives bit-identical runs.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Steps between validation-batch metrics; 0 = none (epoch-end full validation still runs).</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>Pack several examples per row (document-causal) instead of one padded example per row.</summary>
    public bool Packing { get; init; }

    /// <summary>Row length; null = the model's maximum sequence length.</summary>
    public int? SequenceLength { get; init; }

    /// <summary>Train on every token, not only the assistant turns (<c>--train-on-inputs</c>).</summary>
    public bool TrainOnInputs { get; init; }

    /// <summary>Token id written into padding positions (never a target).</summary>
    public int PadId { get; init; }

    /// <summary>Epoch-end checkpoints kept (the newest ones).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The peak learning rate: the method's base rate × <see cref="LearningRateMultiplier"/>.</summary>
    [JsonIgnore]
    public double LearningRate => (Method == TrainingMethod.Lora ? LoraBaseLearningRate : FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option and how to fix it.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw Bad("method", Method, "use lora or full");
        if (Epochs is < 1 or > 1000) throw Bad("epochs", Epochs, "use auto or a whole number from 1 to 1000");
        if (BatchSize is < 1 or > 65536) throw Bad("batch-size", BatchSize, "use auto or a whole number ≥ 1");
        if (MicroBatchSize < 1) throw Bad("micro-batch-size", MicroBatchSize, "use a whole number ≥ 1");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw Bad("lr-multiplier", LearningRateMultiplier, "use a positive number (1 = the base rate)");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw Bad("warmup-ratio", WarmupRatio, "use a share in [0, 1)");
        if (!Enum.IsDefined(Decay)) throw Bad("decay", Decay, "use cosine, linear or constant");
        if (!(WeightDecay >= 0 && WeightDecay < 1)) throw Bad("weight-decay", WeightDecay, "use a number in [0, 1)");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad("max-grad-norm", MaxGradNorm, "use a number ≥ 0 (0 = no clipping)");
        if (EvalEvery < 0) throw Bad("eval-every", EvalEvery, "use 0 (off) or a number of steps");
        if (SequenceLength is < 2) throw Bad("sequence-length", SequenceLength, "use at least 2 tokens");
        if (PadId < 0) throw Bad("pad-id", PadId, "use a token id ≥ 0");
        if (KeepCheckpoints < 1) throw Bad("keep-checkpoints", KeepCheckpoints, "keep at least 1");
    }

    private static TrainingException Bad(string name, object? value, string fix) =>
        new($"SFT option --{name} = {value?.ToString() ?? "null"} is invalid: {fix}.");

    /// <summary>The options as JSON (the run manifest stores them; <see cref="FromJson"/> reads them back).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static SftOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SftOptions>(json, JsonOptions) ?? throw new TrainingException("SFT options: the JSON is null; give an object such as {\"epochs\": 3}.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"SFT options{(e.Path is null ? "" : " at " + e.Path)}: {e.Message} Use the option names of `hone train sft --help`.", e);
        }
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };
}
