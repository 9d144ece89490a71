using System.Text.Json.Serialization;
using Hone.Training.Loop;

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
/// Options of one SFT run (the CLI binds <c>hone train sft</c> to this record; unknown keys in JSON are errors): the
/// shared trainer settings plus the micro-batch, packing, the row length and what is trained.
/// </summary>
public sealed record SftOptions : OfflineTrainerOptions
{
    /// <summary>Rows per forward pass; a step with more rows accumulates gradients over several passes.</summary>
    [JsonPropertyOrder(30)]
    public int MicroBatchSize { get; init; } = 4;

    /// <summary>Pack several examples per row (document-causal) instead of one padded example per row.</summary>
    [JsonPropertyOrder(120)]
    public bool Packing { get; init; }

    /// <summary>Row length; null = the model's maximum sequence length.</summary>
    [JsonPropertyOrder(130)]
    public int? SequenceLength { get; init; }

    /// <summary>Train on every token, not only the assistant turns (<c>--train-on-inputs</c>).</summary>
    [JsonPropertyOrder(140)]
    public bool TrainOnInputs { get; init; }

    /// <inheritdoc />
    protected override string Label => "SFT";

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static SftOptions FromJson(string json) => Read<SftOptions>(json, "SFT", "sft");

    /// <inheritdoc />
    protected override void ValidateMethod()
    {
        if (MicroBatchSize < 1) throw Bad("micro-batch-size", MicroBatchSize, "use a whole number ≥ 1");
        if (SequenceLength is < 2) throw Bad("sequence-length", SequenceLength, "use at least 2 tokens");
    }
}
