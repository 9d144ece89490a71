using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Adapters;
using Hone.Store;
using Hone.Training.Runs;

namespace Hone.Training.Handoff;

/// <summary>What <see cref="HandoffImport.Import"/> recorded.</summary>
/// <param name="RunId">The new run (kind handoff-sft or handoff-dpo).</param>
/// <param name="ModelKind">adapter (PEFT) or merged.</param>
/// <param name="ModelFolder">The adapter or model folder.</param>
/// <param name="TrainerState">The trainer_state.json read, or null.</param>
/// <param name="Steps">Logged steps imported.</param>
/// <param name="MetricValues">Metric values recorded.</param>
/// <param name="Verified">Whether the adapter was loaded over the base model to check it.</param>
public sealed record HandoffImportResult(string RunId, string ModelKind, string ModelFolder, string? TrainerState, int Steps, int MetricValues, bool Verified);

/// <summary>
/// Brings a distributed trainer's result back: a PEFT adapter (adapter_config.json) or a merged model (config.json) in the
/// folder or its newest <c>checkpoint-N</c>, and trainer_state.json's log_history as metrics under Hone's names (loss →
/// train_loss, eval_loss → valid_loss, mean_token_accuracy → train_mean_token_accuracy, eval_X → valid_X, learning_rate,
/// grad_norm, DPO's rewards/*), recorded as a run so eval, compare and ui treat it like a local one.
/// </summary>
public static class HandoffImport
{
    private static readonly HashSet<string> NotMetrics = new(StringComparer.Ordinal)
    {
        "step", "epoch", "total_flos", "train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss",
        "eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "num_input_tokens_seen",
    };

    /// <summary>Hone's name of a Transformers log key, or null for a key that is no metric.</summary>
    public static string? MetricName(string key) => key switch
    {
        _ when NotMetrics.Contains(key) => null,
        "loss" => "train_loss",
        "mean_token_accuracy" => "train_mean_token_accuracy",
        "eval_loss" => "valid_loss",
        _ when key.StartsWith("eval_", StringComparison.Ordinal) => "valid_" + key["eval_".Length..],
        _ => key,
    };

    /// <summary>Imports <paramref name="folder"/>; <paramref name="baseModel"/> (a local model) lets the adapter be loaded to check it.</summary>
    public static HandoffImportResult Import(string folder, RunStore store, string? baseModel = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!Directory.Exists(folder)) throw new TrainingException($"'{folder}' is not a folder; give the trainer's output folder.");
        var checkpoints = Directory.GetDirectories(folder, "checkpoint-*")
            .OrderBy(d => int.TryParse(Path.GetFileName(d)["checkpoint-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToList();
        string? Find(string file) => File.Exists(Path.Combine(folder, file)) ? folder
            : checkpoints.LastOrDefault(c => File.Exists(Path.Combine(c, file)));
        var (kind, modelFolder) = Find("adapter_config.json") is { } a ? ("adapter", a)
            : Find("config.json") is { } m ? ("merged", m)
            : throw new TrainingException($"{folder}: neither a PEFT adapter (adapter_config.json) nor a model (config.json), here or in a checkpoint-N folder.");
        var statePath = Find("trainer_state.json") is { } s ? Path.Combine(s, "trainer_state.json") : null;
        JsonObject? handoff = null;
        foreach (var candidate in new[] { Path.Combine(folder, "handoff.json"), Path.Combine(folder, "..", "handoff.json") })
            if (File.Exists(candidate)) { handoff = JsonNode.Parse(File.ReadAllText(candidate)) as JsonObject; break; }
        var runKind = "handoff-" + ((string?)handoff?["kind"] ?? "sft");

        bool verified = false;
        if (kind == "adapter" && baseModel is not null)
        {
            using var model = AdapterLoader.Load(baseModel, modelFolder); // throws with the reason when it does not fit the base
            verified = true;
        }

        var steps = new SortedDictionary<long, List<KeyValuePair<string, double>>>();
        if (statePath is not null)
        {
            JsonObject state;
            try
            {
                state = JsonNode.Parse(File.ReadAllText(statePath)) as JsonObject ?? throw new TrainingException($"{statePath}: not a JSON object.");
            }
            catch (JsonException e)
            {
                throw new TrainingException($"{statePath}: not valid JSON ({e.Message}).", e);
            }
            foreach (var entry in (state["log_history"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (entry["step"] is not JsonValue sv || !sv.TryGetValue<long>(out var step)) continue;
                foreach (var (key, value) in entry)
                    if (MetricName(key) is { } name && value is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d))
                        (steps.TryGetValue(step, out var list) ? list : steps[step] = []).Add(new(name, d));
            }
        }
        var options = new JsonObject
        {
            ["folder"] = Path.GetFullPath(folder), ["model_kind"] = kind, ["model_folder"] = Path.GetFullPath(modelFolder), ["base_model"] = baseModel,
            ["trainer"] = (string?)handoff?["trainer"], ["handoff"] = handoff?.DeepClone(),
        };
        var run = store.CreateRun(runKind, Path.GetFileName(Path.GetFullPath(folder)), options.ToJsonString(), Path.GetFullPath(folder));
        int values = 0;
        foreach (var (step, list) in steps)
        {
            store.LogMetrics(run.Id, step, list);
            values += list.Count;
        }
        store.AddArtifact(run.Id, kind == "adapter" ? "adapter" : "model", Path.GetFullPath(modelFolder), null, null);
        if (statePath is not null) store.AddArtifact(run.Id, "trainer_state.json", Path.GetFullPath(statePath), RunFolder.Sha256File(statePath), new FileInfo(statePath).Length);
        store.SetTag(run.Id, "source", "handoff");
        if (baseModel is not null) store.SetTag(run.Id, "base_model", Path.GetFullPath(baseModel));
        store.SetStatus(run.Id, RunStatus.Succeeded, JsonSerializer.Serialize(new { model_kind = kind, steps = steps.Count, metric_values = values, verified }));
        return new HandoffImportResult(run.Id, kind, Path.GetFullPath(modelFolder), statePath, steps.Count, values, verified);
    }
}
