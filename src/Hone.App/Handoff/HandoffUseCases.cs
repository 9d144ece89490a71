using System.Globalization;
using Hone.Store;
using Hone.Training.Handoff;

namespace Hone.App.Handoff;

/// <summary>What <see cref="HandoffWrite"/> is asked: the options (or a Hone run whose options to translate, with overrides applied by the caller) and where.</summary>
/// <param name="Options">The hand-off options.</param>
/// <param name="Folder">The folder to write (null: runs/handoff-TRAINER-TIME in the workspace).</param>
/// <param name="WorkingDirectory">Where the workspace is found and relative paths are anchored.</param>
public sealed record HandoffWriteRequest(HandoffOptions Options, string? Folder, string WorkingDirectory);

/// <summary>
/// The settings of a hand-off as a caller names them: a Hone run whose options to translate (<see cref="RunConfig"/>) with
/// <see cref="Data"/> overriding its data, or the options themselves; the cluster's shape either way.
/// </summary>
/// <param name="Trainer">Axolotl or TRL.</param>
/// <param name="BaseModel">The model the trainer loads (a Hugging Face id or a path on the training machines).</param>
public sealed record HandoffSettings(HandoffTrainer Trainer, string BaseModel)
{
    /// <summary>A Hone run (folder or run.json) whose options to translate, or null.</summary>
    public string? RunConfig { get; init; }

    /// <summary>Training JSONL (required without <see cref="RunConfig"/>).</summary>
    public string? Data { get; init; }

    /// <summary>Validation JSONL, or null (the run's, with <see cref="RunConfig"/>).</summary>
    public string? Valid { get; init; }

    /// <summary>DPO instead of SFT.</summary>
    public bool Dpo { get; init; }

    /// <summary>A local copy of the base model to pre-tokenize the data with, or null.</summary>
    public string? TokenizerModel { get; init; }

    /// <summary>A built-in chat template for <see cref="TokenizerModel"/>, or null.</summary>
    public string? Template { get; init; }

    /// <summary>LoRA or full.</summary>
    public Hone.Training.Sft.TrainingMethod Method { get; init; } = Hone.Training.Sft.TrainingMethod.Lora;

    /// <summary>Epochs, or null for auto.</summary>
    public int? Epochs { get; init; }

    /// <summary>Multiplier of the base learning rate.</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Global batch, or null for auto.</summary>
    public int? BatchSize { get; init; }

    /// <summary>LoRA rank (alpha = 2 × rank).</summary>
    public int LoraRank { get; init; } = 16;

    /// <summary>DPO β.</summary>
    public double Beta { get; init; } = 0.1;

    /// <summary>Sequence length.</summary>
    public int SequenceLength { get; init; } = 4096;

    /// <summary>GPUs per node.</summary>
    public int GpusPerNode { get; init; } = 8;

    /// <summary>Nodes.</summary>
    public int Nodes { get; init; } = 1;

    /// <summary>ZeRO-3 or FSDP2.</summary>
    public HandoffSharding Sharding { get; init; } = HandoffSharding.Zero3;

    /// <summary>The hand-off options (paths anchored at <paramref name="workingDirectory"/>).</summary>
    public HandoffOptions Build(string workingDirectory)
    {
        string At(string p) => Path.GetFullPath(Path.Combine(workingDirectory, p));
        HandoffOptions o;
        if (RunConfig is { } rc)
        {
            o = HandoffRunConfig.Read(At(rc), BaseModel, Trainer);
            if (Data is { } d) o = o with { TrainFile = At(d) };
        }
        else
        {
            var d = Data ?? throw new UseCaseException("Give --data (or --run-config).");
            o = new HandoffOptions
            {
                Trainer = Trainer, BaseModel = BaseModel, TrainFile = At(d), Dpo = Dpo, TokenizerModel = TokenizerModel is { } t ? At(t) : null, Template = Template,
                Method = Method, Epochs = Epochs, LearningRateMultiplier = LearningRateMultiplier, BatchSize = BatchSize,
                Lora = new Hone.Models.Train.LoraOptions { Rank = LoraRank, Alpha = 2 * LoraRank, TargetModules = ["all-linear"] }, Beta = Beta,
            };
        }
        return o with
        {
            ValidFile = Valid is { } v ? At(v) : o.ValidFile, SequenceLength = SequenceLength, GpusPerNode = GpusPerNode, Nodes = Nodes, Sharding = Sharding,
        };
    }
}

/// <summary>What <see cref="HandoffImportUseCase"/> is asked: the trainer's output folder and, to check an adapter, the local base model.</summary>
public sealed record HandoffImportRequest(string Folder, string? BaseModel, string WorkingDirectory);

/// <summary>Use case "hand a training job to a distributed trainer": the ready-to-run folder.</summary>
public static class HandoffWrite
{
    /// <summary>Writes the folder.</summary>
    public static HandoffResult Run(HandoffWriteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var folder = request.Folder is { } f ? Path.GetFullPath(Path.Combine(request.WorkingDirectory, f))
            : Workspace.Find(request.WorkingDirectory) is { } ws
                ? Path.Combine(ws.RunsDir, $"handoff-{request.Options.Trainer.ToString().ToLowerInvariant()}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}")
                : throw new UseCaseException("Outside a workspace, give the hand-off folder with --out (or run 'hone init' first).");
        return HandoffWriter.Write(request.Options, folder);
    }
}

/// <summary>Use case "bring a distributed trainer's result back": the adapter or model and its metrics as a run of the workspace.</summary>
public static class HandoffImportUseCase
{
    /// <summary>Imports the folder into the workspace's run store.</summary>
    public static HandoffImportResult Run(HandoffImportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        return HandoffImport.Import(Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.Folder)), store,
            request.BaseModel is null ? null : Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.BaseModel)));
    }
}
