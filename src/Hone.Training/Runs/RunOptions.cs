using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Models.Train;
using Hone.Training.Batching;
using Hone.Training.Loop;
using Hone.Training.Sft;

namespace Hone.Training.Runs;

/// <summary>
/// What every training run needs besides its trainer's options and its data (the SFT, DPO and RFT run options derive
/// from it): the base model and tokenizer, the chat template, the validation file, LoRA settings, threads and the
/// <c>--on-overflow</c> policy. Stored in the run's manifest (<see cref="ToJson"/>) so that the run can resume.
/// </summary>
public abstract record RunOptions
{
    /// <summary>Base model: a Hugging Face folder, a GGUF file or a llama2.c checkpoint.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokenizer file for a model without one beside it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Built-in chat template name for a model without one (or to override it).</summary>
    public string? Template { get; init; }

    /// <summary>Validation data (optional: without it the valid metrics are absent, not zero).</summary>
    public string? ValidFile { get; init; }

    /// <summary>LoRA settings (used when the trainer's method is LoRA).</summary>
    public LoraOptions Lora { get; init; } = new() { TargetModules = ["all-linear"] };

    /// <summary>Worker threads for the engine (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Activation checkpointing (<c>--recompute</c>): keep only each layer's input and recompute the layer's forward in
    /// the backward; less activation memory for one more forward of the layers per step, with bit-identical results.
    /// </summary>
    public bool Recompute { get; init; }

    /// <summary>What training does with an item longer than the context (<c>--on-overflow</c>): drop (default), truncate or fail.</summary>
    public OverflowPolicy OnOverflow { get; init; } = OverflowPolicy.Drop;

    /// <summary>
    /// The eval spec whose golden set scores each epoch's checkpoint (<c>--eval-spec</c>), recorded in the manifest so a
    /// resumed run scores the same way; the scoring itself is <see cref="Scorer"/>, supplied from above.
    /// </summary>
    public string? EvalSpec { get; init; }

    /// <summary>Scores each epoch's checkpoint (not stored: the caller builds it from <see cref="EvalSpec"/>).</summary>
    public Loop.ICheckpointScorer? Scorer { get; init; }

    /// <summary>The trainer's options.</summary>
    internal abstract TrainerOptions TrainerOptions { get; }

    /// <summary>The epochs asked for (null: auto, resolved from the data when the run starts).</summary>
    public int? EpochsAsked => TrainerOptions.Epochs;

    /// <summary>The training data file (SFT examples, DPO pairs, RFT prompts).</summary>
    internal abstract string TrainInput { get; }

    /// <summary>The input files besides validation, by their manifest role (train, pairs, grader), with what the error calls them.</summary>
    internal abstract IReadOnlyList<(string Role, string Path, string What)> Inputs { get; }

    /// <summary>The input files by manifest role, validation last when given (the manifest records each with its SHA-256).</summary>
    internal Dictionary<string, string> DataFiles
    {
        get
        {
            var data = Inputs.ToDictionary(i => i.Role, i => i.Path);
            if (ValidFile is not null) data["valid"] = ValidFile;
            return data;
        }
    }

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(OnOverflow)) throw new TrainingException($"--on-overflow {OnOverflow} is not one of drop, truncate, fail.");
        if (!File.Exists(ModelPath) && !Directory.Exists(ModelPath)) throw new TrainingException(ErrorKind.NotFound, $"Model '{ModelPath}' not found: give a model folder or file.");
        foreach (var (_, path, what) in Inputs)
            if (!File.Exists(path)) throw new TrainingException(ErrorKind.NotFound, $"{what} '{path}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new TrainingException(ErrorKind.NotFound, $"Validation file '{ValidFile}' not found.");
        if (EvalSpec is not null && !File.Exists(EvalSpec)) throw new TrainingException(ErrorKind.NotFound, $"Eval spec '{EvalSpec}' not found (--eval-spec).");
        if (Threads is < 1 or > 256) throw new TrainingException($"Threads {Threads} must be between 1 and 256.");
        TrainerOptions.Validate();
        ValidateOwn();
        if (TrainerOptions.Method == TrainingMethod.Lora) Lora.ResolveTargets();
        else if (Lora.BaseType != LoraBaseType.F32) throw new TrainingException("--base-dtype bf16 holds a frozen base: it needs --method lora (full fine-tuning trains the base in float32).");
    }

    /// <summary>Checks what only this kind of run has.</summary>
    protected virtual void ValidateOwn()
    {
    }

    /// <summary>The options as the manifest stores them (paths made absolute), with the store's run id.</summary>
    public string ToJson(string? runId)
    {
        var j = new JsonObject
        {
            ["run_id"] = runId,
            ["model"] = Path.GetFullPath(ModelPath),
            ["tokenizer"] = TokenizerPath is null ? null : Path.GetFullPath(TokenizerPath),
            ["template"] = Template,
        };
        foreach (var (role, path, _) in Inputs) j[role] = Path.GetFullPath(path);
        j["valid"] = ValidFile is null ? null : Path.GetFullPath(ValidFile);
        j["threads"] = Threads;
        if (Recompute) j["recompute"] = true;
        j["on_overflow"] = OverflowPolicies.Name(OnOverflow);
        if (EvalSpec is not null) j["eval_spec"] = Path.GetFullPath(EvalSpec);
        j["trainer"] = JsonNode.Parse(TrainerOptions.ToJson());
        WriteOwn(j);
        j["lora"] = RunManifest.LoraToJson(Lora);
        return j.ToJsonString();
    }

    /// <summary>Adds what only this kind of run stores (after the trainer's options).</summary>
    protected virtual void WriteOwn(JsonObject json)
    {
    }

    /// <summary>These options with the shared settings read back from a manifest's options object.</summary>
    protected T WithShared<T>(JsonObject j)
        where T : RunOptions
    {
        ArgumentNullException.ThrowIfNull(j);
        return (T)(this with
        {
            TokenizerPath = (string?)j["tokenizer"],
            Template = (string?)j["template"],
            ValidFile = (string?)j["valid"],
            Threads = (int)j["threads"]!,
            Recompute = (bool?)j["recompute"] ?? false,
            OnOverflow = j["on_overflow"] is { } policy ? OverflowPolicies.Parse((string?)policy) : OverflowPolicy.Drop,
            Lora = RunManifest.LoraFromJson(j["lora"]),
            EvalSpec = (string?)j["eval_spec"],
        });
    }
}

/// <summary>What every training run reports besides its trainer's result.</summary>
/// <param name="RunFolder">The run folder (manifest, results.csv, chart, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Seconds">Wall time.</param>
public abstract record RunResult(string RunFolder, string? RunId, double Seconds)
{
    /// <summary>What the <c>--on-overflow</c> policy did, per data set (training, then validation when given).</summary>
    public IReadOnlyList<OverflowReport> Overflow { get; init; } = [];

    /// <summary>The warnings given before training (over-long items, an end-of-turn token LoRA cannot learn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
