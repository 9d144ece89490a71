using System.Text.Json.Serialization;
using Hone.Training.Loop;
using Hone.Training.Objectives;

namespace Hone.Training.Dpo;

/// <summary>
/// Options of one DPO run (the CLI binds <c>hone train dpo</c> to this record; unknown keys in JSON are errors): the
/// shared trainer settings plus pairs per forward pass and β, the loss variant and the SFT weight. The learning rate is
/// the method's base rate × the multiplier, as for SFT.
/// </summary>
public sealed record DpoOptions : OfflineTrainerOptions
{
    /// <summary>Pairs per forward pass (two rows each: chosen, rejected).</summary>
    [JsonPropertyOrder(30)]
    public int MicroBatchPairs { get; init; } = 2;

    /// <summary>β, loss variant and SFT weight.</summary>
    [JsonPropertyOrder(50)]
    public DpoSettings Dpo { get; init; } = new();

    /// <inheritdoc />
    protected override string Label => "DPO";

    /// <summary>Reads options from JSON; an unknown key is an error.</summary>
    public static DpoOptions FromJson(string json) => Read<DpoOptions>(json, "DPO", "dpo");

    /// <inheritdoc />
    protected override void ValidateMethod()
    {
        if (MicroBatchPairs < 1) throw Bad("micro-batch-pairs", MicroBatchPairs, "use a whole number ≥ 1");
        if (Dpo is null) throw Bad("dpo", null, "give the DPO settings (beta, loss, sft weight)");
        Dpo.Validate();
    }
}
