using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;
using Hone.Training.Sft;

namespace Hone.Training.Runs;

/// <summary>A run's data read and fitted to the context, its tokenizer and its base model: everything checked before the run is registered.</summary>
/// <typeparam name="T">The training item (example, pair, prompt).</typeparam>
internal sealed record Prepared<T>(ChatEncoder Encoder, List<T> Train, List<T>? Valid, LlamaModel Model, List<OverflowReport> Overflow,
    List<string> Warnings);

/// <summary>
/// What every kind of run (<see cref="Sft.SftRun"/>, <see cref="Dpo.DpoRun"/>, <see cref="Rft.RftRun"/>) does the same
/// way around its trainer: prepare and check the inputs before anything is registered or written, start a new run in an
/// empty folder or resume one from its manifest, write the manifest, record the outcome in the run store, and hand back
/// the tuned model.
/// </summary>
internal static class TrainingRun
{
    /// <summary>
    /// Loads the tokenizer, reads the training and validation data with <paramref name="read"/>, loads the base model and
    /// fits the data to it with <paramref name="fit"/> (set "training" or "validation"); the warnings (overflow summaries,
    /// then <paramref name="endOfTurn"/>'s) go to <paramref name="warn"/>. The model is disposed if anything fails.
    /// </summary>
    public static Prepared<T> Prepare<TRead, T>(RunOptions o, Action<string>? warn, Func<string, ChatEncoder, TRead> read,
        Func<LlamaModel, ChatEncoder, TRead, string, (List<T> Kept, OverflowReport Report)> fit, Func<LlamaModel, ChatEncoder, List<T>, string?> endOfTurn)
    {
        var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
        var trainRead = read(o.TrainInput, encoder);
        var validRead = o.ValidFile is null ? default : read(o.ValidFile, encoder);
        var model = LoadModel(o);
        try
        {
            var (train, trainReport) = fit(model, encoder, trainRead, "training");
            var overflow = new List<OverflowReport> { trainReport };
            List<T>? valid = null;
            if (o.ValidFile is not null)
            {
                (valid, var validReport) = fit(model, encoder, validRead!, "validation");
                overflow.Add(validReport);
            }
            var warnings = overflow.Select(r => r.Summary()).OfType<string>().ToList();
            if (endOfTurn(model, encoder, train) is { } eot) warnings.Add(eot);
            foreach (var w in warnings) warn?.Invoke(w);
            return new Prepared<T>(encoder, train, valid, model, overflow, warnings);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a new run of <paramref name="kind"/> in <paramref name="runFolder"/> (created; must be empty or absent): the
    /// options are validated and the inputs prepared before the run is registered; a refusal after that leaves no run behind.
    /// </summary>
    public static TResult Start<TOptions, T, TResult>(string kind, TOptions options, string runFolder, RunStore? store,
        Func<TOptions, Prepared<T>> prepare, Func<Prepared<T>, string?, TResult> execute)
        where TOptions : RunOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException(ErrorKind.Conflict, $"Run folder '{runFolder}' is not empty; choose a new --out folder (or 'hone train resume' to continue a run).");
        var prepared = prepare(options);
        try
        {
            // Recorded only now that the inputs are valid; a later refusal removes the fresh record and empty folder.
            return RunManifest.StartNew(store, runFolder,
                () => store?.CreateRun(kind, Path.GetFileName(Path.GetFullPath(runFolder)), options.ToJson(null), Path.GetFullPath(runFolder)).Id,
                register => execute(prepared, register()));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/> with the options its manifest records (its kind must satisfy
    /// <paramref name="kindOk"/>; <paramref name="what"/> names the expected kind in the error), under its store record.
    /// A run started with an eval spec gets its checkpoint scorer from <paramref name="scorerFor"/> (given the spec's
    /// path); without one its remaining checkpoints are not scored.
    /// </summary>
    public static TResult Resume<TOptions, T, TResult>(string runFolder, RunStore? store, Func<string?, bool> kindOk, string what,
        Func<JsonObject, TOptions> fromJson, Func<string, Loop.ICheckpointScorer>? scorerFor, Func<TOptions, Prepared<T>> prepare,
        Func<string, TOptions, Prepared<T>, string?, TResult> execute)
        where TOptions : RunOptions
    {
        var (kind, json, manifest) = RunManifest.Read(runFolder, kindOk, what);
        var (options, runId) = RunManifest.ReadBack(manifest, () => (fromJson(json), (string?)json["run_id"]));
        if (options.EvalSpec is { } spec && scorerFor is not null) options = (TOptions)(options with { Scorer = scorerFor(spec) });
        options.Validate();
        var prepared = prepare(options);
        try
        {
            runId = RunManifest.ResumeRunId(store, runId, kind, runFolder, options.ToJson(null));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
        return execute(kind, options, prepared, runId);
    }

    /// <summary>
    /// Writes the manifest of <paramref name="folder"/>: the options, the trainer's resolved values with what the
    /// overflow policy did and the warnings, the data files and the base model (with its hash unless <paramref name="hashModel"/> is false).
    /// </summary>
    public static void WriteManifest<T>(RunFolder folder, string kind, RunOptions o, string? runId, IReadOnlyDictionary<string, object> resolved,
        Prepared<T> prepared, bool hashModel = true)
    {
        var all = new Dictionary<string, object>(resolved)
        {
            ["overflow"] = new JsonObject([.. prepared.Overflow.Select(r => KeyValuePair.Create(r.Set, (JsonNode?)r.ToJson()))]),
            ["warnings"] = prepared.Warnings,
        };
        RunManifest.AddChat(all, prepared.Encoder, o.ModelPath, o.TokenizerPath); // exports carry the tokenizer and template
        folder.WriteManifest(kind, o.ToJson(runId), all, o.DataFiles, Path.GetFullPath(o.ModelPath), hashModel ? RunManifest.ModelHash(o.ModelPath) : null);
    }

    /// <summary>
    /// Runs <paramref name="train"/> and records the outcome under <paramref name="runId"/>: cancelled or failed when it
    /// throws, else succeeded with <paramref name="summary"/> of the result.
    /// </summary>
    public static TResult Record<TResult>(RunStore? store, string? runId, CancellationToken ct, Func<TResult> train, Func<TResult, object> summary)
    {
        TResult result;
        try
        {
            result = train();
        }
        catch
        {
            if (runId is not null) store!.SetStatus(runId, ct.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed);
            throw;
        }
        if (runId is not null) store!.SetStatus(runId, RunStatus.Succeeded, JsonSerializer.Serialize(summary(result)));
        return result;
    }

    /// <summary>The base model of a run: float32, or, for LoRA with <see cref="LoraBaseType.BF16"/>, its layer linears
    /// converted to BF16 (<see cref="BF16Base"/>) and the float32 copy freed.</summary>
    private static LlamaModel LoadModel(RunOptions o)
    {
        var model = LlamaModel.Load(o.ModelPath);
        if (o.TrainerOptions.Method != TrainingMethod.Lora || o.Lora.BaseType != LoraBaseType.BF16) return model;
        using (model)
        {
            return new LlamaModel(BF16Base.Convert(model.Weights));
        }
    }

    /// <summary>The tuned model: with LoRA the adapters merged into a copy (the base is disposed); with full fine-tuning the base, trained in place.</summary>
    public static LlamaModel Tuned(LlamaTrainer engine, LlamaModel model) => Tuned(engine.IsLora, engine.MergedWeights, model);

    /// <summary>
    /// The tuned model of a trainer that trained LoRA adapters (<paramref name="lora"/>; <paramref name="merged"/> gives the
    /// weights with the adapters folded in, and the base is disposed) or every weight in place (the model itself).
    /// </summary>
    public static LlamaModel Tuned(bool lora, Func<LlamaWeights> merged, LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ArgumentNullException.ThrowIfNull(model);
        if (!lora) return model;
        var tuned = new LlamaModel(merged());
        model.Dispose();
        return tuned;
    }
}
