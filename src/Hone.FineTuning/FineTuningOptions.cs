using Hone.Training.Rft;
using Hone.Training.Runs;

namespace Hone.FineTuning;

/// <summary>Settings of the fine-tuning API of <c>hone serve</c>, validated once.</summary>
public sealed record FineTuningOptions
{
    /// <summary>The run store database the jobs queue in (the workspace's <c>.hone/hone.db</c>).</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Where uploaded files, job run folders and tuned models are kept.</summary>
    public required string Folder { get; init; }

    /// <summary>The model id jobs must name as <c>model</c> (the served model's).</summary>
    public required string BaseModelId { get; init; }

    /// <summary>The base model (folder, .gguf or llama2.c .bin).</summary>
    public required string BaseModelPath { get; init; }

    /// <summary>The tokenizer of a base model without one beside it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>The chat template name for a base model without one.</summary>
    public string? Template { get; init; }

    /// <summary>Engine threads of a training job.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>LoRA rank of the jobs (all linear layers; alpha = 2 × rank).</summary>
    public int LoraRank { get; init; } = 8;

    /// <summary>Builds the reward of a reinforcement job from its grader file (OpenAI grader JSON); null refuses reinforcement jobs.</summary>
    public Func<string, IRewardFunction>? LoadReward { get; init; }

    /// <summary>Test hook: called on the training thread with each progress report and the job's cancellation token.</summary>
    internal Action<TrainingProgress, CancellationToken>? ProgressHook { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public FineTuningOptions Validate()
    {
        if (!File.Exists(BaseModelPath) && !Directory.Exists(BaseModelPath)) throw new ArgumentException($"Base model '{BaseModelPath}' not found.");
        if (string.IsNullOrWhiteSpace(BaseModelId)) throw new ArgumentException("The base model id must not be empty.");
        if (Threads is < 1 or > 256) throw new ArgumentException($"Threads {Threads} must be 1..256.");
        if (LoraRank is < 1 or > 256) throw new ArgumentException($"LoRA rank {LoraRank} must be 1..256.");
        return this;
    }
}
