using Hone.Models.Train;
using Hone.Training.Sft;

namespace Hone.Training.Handoff;

/// <summary>The distributed trainer a hand-off folder is written for.</summary>
public enum HandoffTrainer
{
    /// <summary>Axolotl (one YAML config; <c>axolotl train</c>).</summary>
    Axolotl,
    /// <summary>Hugging Face TRL (SFTTrainer / DPOTrainer with PEFT, a small train.py).</summary>
    Trl,
}

/// <summary>How the model is sharded across GPUs.</summary>
public enum HandoffSharding
{
    /// <summary>DeepSpeed ZeRO stage 3.</summary>
    Zero3,
    /// <summary>PyTorch FSDP2 (fully_shard).</summary>
    Fsdp2,
}

/// <summary>
/// Options of <c>hone handoff axolotl|trl</c>: Hone's training options (method, epochs, learning-rate multiplier, batch
/// size, LoRA, DPO β, sequence length, chat template) and where the job runs (GPUs per node, nodes, sharding). Validated once.
/// </summary>
public sealed record HandoffOptions
{
    /// <summary>The trainer.</summary>
    public HandoffTrainer Trainer { get; init; }

    /// <summary>SFT or DPO.</summary>
    public bool Dpo { get; init; }

    /// <summary>The base model as the trainer loads it (a Hugging Face id or a path on the training machines).</summary>
    public required string BaseModel { get; init; }

    /// <summary>Training JSONL (OpenAI chat SFT, or OpenAI preference pairs for DPO).</summary>
    public required string TrainFile { get; init; }

    /// <summary>Validation JSONL.</summary>
    public string? ValidFile { get; init; }

    /// <summary>
    /// A local copy of the base model's tokenizer and chat template (a model folder or file Hone reads): when given, the data
    /// are pre-tokenized with Hone's exact per-token masks (per-message weights included).
    /// </summary>
    public string? TokenizerModel { get; init; }

    /// <summary>A built-in chat template for <see cref="TokenizerModel"/> when it has none.</summary>
    public string? Template { get; init; }

    /// <summary>LoRA or full.</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs; null = auto (the data check's rule).</summary>
    public int? Epochs { get; init; }

    /// <summary>Multiplier of the method's base learning rate (LoRA 2e-4, full 2e-5).</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Examples per optimiser step (global); null = auto (n / 16, 1..8).</summary>
    public int? BatchSize { get; init; }

    /// <summary>LoRA settings.</summary>
    public LoraOptions Lora { get; init; } = new() { Rank = 16, Alpha = 32, TargetModules = ["all-linear"] };

    /// <summary>DPO β.</summary>
    public double Beta { get; init; } = 0.1;

    /// <summary>Sequence length.</summary>
    public int SequenceLength { get; init; } = 4096;

    /// <summary>Warm-up share.</summary>
    public double WarmupRatio { get; init; } = 0.03;

    /// <summary>Seed.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>GPUs per node.</summary>
    public int GpusPerNode { get; init; } = 1;

    /// <summary>Nodes.</summary>
    public int Nodes { get; init; } = 1;

    /// <summary>Sharding across GPUs.</summary>
    public HandoffSharding Sharding { get; init; } = HandoffSharding.Zero3;

    /// <summary>The method's peak learning rate.</summary>
    public double LearningRate => (Method == TrainingMethod.Lora ? Loop.TrainerOptions.LoraBaseLearningRate : Loop.TrainerOptions.FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option.</summary>
    public HandoffOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(BaseModel)) throw new TrainingException("--base-model (the model id the trainer loads) is required.");
        if (!File.Exists(TrainFile)) throw new TrainingException($"Training file '{TrainFile}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new TrainingException($"Validation file '{ValidFile}' not found.");
        if (TokenizerModel is not null && !File.Exists(TokenizerModel) && !Directory.Exists(TokenizerModel)) throw new TrainingException($"--tokenizer-model '{TokenizerModel}' not found.");
        if (Epochs is < 1 or > 1000) throw new TrainingException($"--epochs {Epochs} must be auto or 1..1000.");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw new TrainingException($"--lr-multiplier {LearningRateMultiplier} must be positive.");
        if (BatchSize is < 1 or > 65536) throw new TrainingException($"--batch-size {BatchSize} must be auto or ≥ 1.");
        if (!(Beta > 0) || Beta > 10) throw new TrainingException($"--beta {Beta} must be in (0, 10].");
        if (SequenceLength is < 16 or > 1 << 20) throw new TrainingException($"--sequence-length {SequenceLength} must be 16..1048576.");
        if (GpusPerNode is < 1 or > 64) throw new TrainingException($"--gpus {GpusPerNode} must be 1..64 per node.");
        if (Nodes is < 1 or > 1024) throw new TrainingException($"--nodes {Nodes} must be 1..1024.");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw new TrainingException($"--warmup-ratio {WarmupRatio} must be in [0, 1).");
        if (Method == TrainingMethod.Lora) Lora.ResolveTargets();
        if (Method == TrainingMethod.Lora && Trainer == HandoffTrainer.Axolotl && Lora.TrainableTokenIndices.Count > 0)
            throw new TrainingException("The run trains token rows (--trainable-tokens), which the Axolotl hand-off does not carry; use 'hone handoff trl' "
                + "(PEFT's trainable_token_indices), or train embed_tokens,lm_head in full (--modules-to-save).");
        return this;
    }
}

/// <summary>Reads the options of a Hone run (its run.json) as hand-off options: the same data, method, epochs, learning-rate multiplier, batch size, LoRA, β and template, with the run's local base model as the tokenizer for exact masks.</summary>
public static class HandoffRunConfig
{
    /// <summary>The hand-off options of the run whose run.json is <paramref name="path"/> (a run folder or the file), for <paramref name="baseModel"/>.</summary>
    public static HandoffOptions Read(string path, string baseModel, HandoffTrainer trainer)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, Runs.RunFolder.ManifestFile) : path;
        if (!File.Exists(file)) throw new TrainingException($"--run-config '{path}': no run.json there; give a Hone run folder or its run.json.");
        System.Text.Json.Nodes.JsonObject manifest;
        try
        {
            manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TrainingException($"{file}: not valid JSON ({e.Message}).", e);
        }
        var kind = (string?)manifest["kind"];
        var o = manifest["options"] as System.Text.Json.Nodes.JsonObject ?? throw new TrainingException($"{file}: no options object.");
        var t = o["trainer"] as System.Text.Json.Nodes.JsonObject ?? new();
        var dpo = kind is "dpo" or "sft-then-dpo";
        return new HandoffOptions
        {
            Trainer = trainer, Dpo = dpo, BaseModel = baseModel,
            TrainFile = (string?)o[dpo ? "pairs" : "train"] ?? throw new TrainingException($"{file}: the run has no training file."),
            ValidFile = (string?)o["valid"], TokenizerModel = (string?)o["model"], Template = (string?)o["template"],
            Method = (string?)t["method"] == "full" ? TrainingMethod.Full : TrainingMethod.Lora,
            Epochs = (int?)t["epochs"], LearningRateMultiplier = (double?)t["learning_rate_multiplier"] ?? 1.0, BatchSize = (int?)t["batch_size"],
            Beta = (double?)t["dpo"]?["beta"] ?? 0.1, Seed = (long?)t["seed"] ?? 42, WarmupRatio = (double?)t["warmup_ratio"] ?? 0.03,
            Lora = o["lora"] is { } lora ? Runs.RunManifest.LoraFromJson(lora) : new LoraOptions { Rank = 16, Alpha = 32, TargetModules = ["all-linear"] },
        };
    }
}
