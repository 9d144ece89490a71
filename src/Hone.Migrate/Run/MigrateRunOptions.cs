using Hone.Training.Sft;

namespace Hone.Migrate.Run;

/// <summary>Options of <c>hone migrate run</c>, validated once.</summary>
public sealed record MigrateRunOptions
{
    /// <summary>The base model folder (default: the plan's choice).</summary>
    public string? Model { get; init; }

    /// <summary>A tokenizer for a model without one beside it.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A built-in chat template for a model without one.</summary>
    public string? Template { get; init; }

    /// <summary>Full fine-tuning or LoRA.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Full;

    /// <summary>Epochs per round (default: the plan's).</summary>
    public int? Epochs { get; init; }

    /// <summary>Examples per optimiser step.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Learning rate = the method's base × this.</summary>
    public double LrMultiplier { get; init; } = 1;

    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 16;

    /// <summary>Held-out agreement to stop at (default: the plan's target).</summary>
    public double? Target { get; init; }

    /// <summary>Most rounds (each: train, evaluate, then synthesise and pair for the next).</summary>
    public int MaxRounds { get; init; } = 3;

    /// <summary>Wall-clock budget in seconds: no new round starts after it.</summary>
    public double BudgetSeconds { get; init; } = 3600;

    /// <summary>New inputs the teacher writes per failing training case between rounds (0: no synthesis).</summary>
    public int Synthesize { get; init; }

    /// <summary>Most failing cases synthesised from per round.</summary>
    public int SynthesizeCases { get; init; } = 20;

    /// <summary>Run DPO after SFT on pairs where the open model's answer lost (hosted answer preferred).</summary>
    public bool Dpo { get; init; }

    /// <summary>Most completion tokens when answering (default: the capture's max tokens, else 256).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Seed of training.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Engine threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws <see cref="MigrateException"/> naming the first bad option.</summary>
    public MigrateRunOptions Validate()
    {
        static void Check(bool ok, string what) { if (!ok) throw new MigrateException(what); }
        Check(Epochs is null or (>= 1 and <= 1000), "--epochs must be between 1 and 1000.");
        Check(BatchSize is >= 1 and <= 1024, "--batch-size must be between 1 and 1024.");
        Check(LrMultiplier > 0 && double.IsFinite(LrMultiplier), "--lr-multiplier must be positive.");
        Check(LoraRank is >= 1 and <= 1024, "--lora-rank must be between 1 and 1024.");
        Check(Target is null or (> 0 and <= 1), "--target must be in (0, 1].");
        Check(MaxRounds is >= 1 and <= 100, "--rounds must be between 1 and 100.");
        Check(BudgetSeconds > 0, "--budget-minutes must be positive.");
        Check(Synthesize is >= 0 and <= 100, "--synthesize must be between 0 and 100.");
        Check(SynthesizeCases is >= 1, "--synthesize-cases must be at least 1.");
        Check(MaxTokens is null or (>= 1 and <= 100_000), "--max-tokens must be at least 1.");
        Check(Threads is >= 1 and <= 256, "--threads must be between 1 and 256.");
        return this;
    }
}
