using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Training.Optim;
using Hone.Training.Sft;

namespace Hone.Training.Loop;

/// <summary>
/// The settings every trainer shares (the CLI binds each <c>hone train</c> command to a derived record; unknown keys in
/// JSON are errors): the method, epochs, learning-rate multiplier, gradient clipping, seed, validation cadence and the
/// checkpoints kept. Validated once, by <see cref="Validate"/>, before anything runs. Each key has a fixed place in the
/// JSON (<see cref="JsonPropertyOrderAttribute"/>), so a derived record writes the JSON, and the options hash its
/// checkpoints are checked against, that earlier versions wrote.
/// </summary>
public abstract record TrainerOptions
{
    /// <summary>Base learning rate of a LoRA run (× <see cref="LearningRateMultiplier"/>): 2e-4, the common LoRA default.</summary>
    public const double LoraBaseLearningRate = 2e-4;

    /// <summary>Base learning rate of a full fine-tuning run (× <see cref="LearningRateMultiplier"/>): 2e-5.</summary>
    public const double FullBaseLearningRate = 2e-5;

    /// <summary>Largest automatic batch size.</summary>
    public const int MaxAutoBatchSize = 8;

    /// <summary>LoRA or full: picks the base learning rate.</summary>
    [JsonPropertyOrder(0)]
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs; null = auto, by <see cref="Hone.Data.Cost.EpochRule.AutoEpochs"/> (the data check's rule) on the training items.</summary>
    [JsonPropertyOrder(10)]
    public int? Epochs { get; init; }

    /// <summary>Multiplies the method's base learning rate.</summary>
    [JsonPropertyOrder(40)]
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Gradient clipping by global norm; 0 = off.</summary>
    [JsonPropertyOrder(90)]
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Seed of the shuffle (and of anything else random in the run): a fixed seed gives bit-identical runs.</summary>
    [JsonPropertyOrder(100)]
    public long Seed { get; init; } = 42;

    /// <summary>Steps between validation-batch metrics; 0 = none (epoch-end full validation still runs).</summary>
    [JsonPropertyOrder(110)]
    public int EvalEvery { get; init; } = 10;

    /// <summary>Epoch-end checkpoints kept (the newest ones, or the best ones for a trainer that ranks them).</summary>
    [JsonPropertyOrder(160)]
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The peak learning rate: the method's base rate × <see cref="LearningRateMultiplier"/>.</summary>
    [JsonIgnore]
    public double LearningRate => (Method == TrainingMethod.Lora ? LoraBaseLearningRate : FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>The trainer's name in messages (SFT, DPO, RFT).</summary>
    [JsonIgnore]
    protected abstract string Label { get; }

    /// <summary>The learning rate of each step of a run of <paramref name="totalSteps"/> steps: constant, unless the trainer warms up and decays.</summary>
    public virtual LearningRateSchedule Schedule(long totalSteps) =>
        new(LearningRate, (int)Math.Min(int.MaxValue, totalSteps), 0, DecayKind.Constant);

    /// <summary>AdamW's hyper-parameters (no weight decay, unless the trainer has it).</summary>
    [JsonIgnore]
    public virtual AdamWSettings Optimizer => new();

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option and how to fix it.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw Bad("method", Method, "use lora or full");
        if (Epochs is < 1 or > 1000) throw Bad("epochs", Epochs, "use auto or a whole number from 1 to 1000");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw Bad("lr-multiplier", LearningRateMultiplier, "use a positive number (1 = the base rate)");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad("max-grad-norm", MaxGradNorm, "use a number ≥ 0 (0 = no clipping)");
        if (EvalEvery < 0) throw Bad("eval-every", EvalEvery, "use 0 (off) or a number of steps");
        if (KeepCheckpoints < 1) throw Bad("keep-checkpoints", KeepCheckpoints, "keep at least 1");
        ValidateOwn();
    }

    /// <summary>Checks the options only this trainer has.</summary>
    protected abstract void ValidateOwn();

    /// <summary>The error for option <c>--<paramref name="name"/></c> = <paramref name="value"/>.</summary>
    protected TrainingException Bad(string name, object? value, string fix) =>
        new($"{Label} option --{name} = {value?.ToString() ?? "null"} is invalid: {fix}.");

    /// <summary>The options as JSON (the run manifest stores them; the trainer's <c>FromJson</c> reads them back).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), JsonOptions);

    /// <summary>Reads options of type <typeparamref name="T"/> from JSON; an unknown key is an error naming `hone train <paramref name="command"/> --help`.</summary>
    protected static T Read<T>(string json, string label, string command)
        where T : TrainerOptions
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonOptions)
                ?? throw new TrainingException($"{label} options: the JSON is null; give an object such as {{\"epochs\": 3}}.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{label} options{(e.Path is null ? "" : " at " + e.Path)}: {e.Message} Use the option names of `hone train {command} --help`.", e);
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

/// <summary>
/// The settings of trainers that go over a fixed data set (SFT, DPO) besides the shared ones: a batch size, a warm-up and
/// decay schedule, AdamW's weight decay and the padding id.
/// </summary>
public abstract record OfflineTrainerOptions : TrainerOptions
{
    /// <summary>Items (examples, pairs) per optimiser step; null = auto: clamp(n / 16, 1, <see cref="TrainerOptions.MaxAutoBatchSize"/>).</summary>
    [JsonPropertyOrder(20)]
    public int? BatchSize { get; init; }

    /// <summary>Share of the steps spent warming the learning rate up linearly (rounded up to whole steps).</summary>
    [JsonPropertyOrder(60)]
    public double WarmupRatio { get; init; } = 0.03;

    /// <summary>Decay after warm-up.</summary>
    [JsonPropertyOrder(70)]
    public DecayKind Decay { get; init; } = DecayKind.Cosine;

    /// <summary>AdamW decoupled weight decay.</summary>
    [JsonPropertyOrder(80)]
    public double WeightDecay { get; init; }

    /// <summary>Token id written into padding positions (never a target).</summary>
    [JsonPropertyOrder(150)]
    public int PadId { get; init; }

    /// <summary>The batch size for <paramref name="items"/> training items: the option, or auto, and never more than the items.</summary>
    public int ResolveBatchSize(int items) => Math.Min(items, BatchSize ?? Math.Clamp(items / 16, 1, MaxAutoBatchSize));

    /// <inheritdoc />
    public override LearningRateSchedule Schedule(long totalSteps) =>
        new(LearningRate, (int)Math.Min(int.MaxValue, totalSteps), (int)Math.Ceiling(WarmupRatio * totalSteps), Decay);

    /// <inheritdoc />
    [JsonIgnore]
    public override AdamWSettings Optimizer => new(WeightDecay: WeightDecay);

    /// <inheritdoc />
    protected override void ValidateOwn()
    {
        if (BatchSize is < 1 or > 65536) throw Bad("batch-size", BatchSize, "use auto or a whole number ≥ 1");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw Bad("warmup-ratio", WarmupRatio, "use a share in [0, 1)");
        if (!Enum.IsDefined(Decay)) throw Bad("decay", Decay, "use cosine, linear or constant");
        if (!(WeightDecay >= 0 && WeightDecay < 1)) throw Bad("weight-decay", WeightDecay, "use a number in [0, 1)");
        if (PadId < 0) throw Bad("pad-id", PadId, "use a token id ≥ 0");
        ValidateMethod();
    }

    /// <summary>Checks the options only this method has.</summary>
    protected abstract void ValidateMethod();
}
