using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Cost;
using Hone.Core;
using Hone.Tokenizers.Chat;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Handoff;

/// <summary>What <see cref="HandoffWriter.Write"/> wrote.</summary>
/// <param name="Folder">The hand-off folder.</param>
/// <param name="Files">Its files, relative, sorted.</param>
/// <param name="Examples">Training items written.</param>
/// <param name="Epochs">Epochs (auto resolved).</param>
/// <param name="GlobalBatch">Items per optimiser step across all GPUs.</param>
/// <param name="MicroBatch">Items per GPU per micro-step.</param>
/// <param name="GradientAccumulation">Micro-steps per optimiser step.</param>
/// <param name="PreTokenized">Whether the data carry Hone's exact per-token masks.</param>
/// <param name="SingleNode">The launch line on one node.</param>
/// <param name="MultiNode">The launch line run on every node of several.</param>
public sealed record HandoffResult(string Folder, IReadOnlyList<string> Files, int Examples, int Epochs, int GlobalBatch, int MicroBatch, int GradientAccumulation,
    bool PreTokenized, string SingleNode, string MultiNode);

/// <summary>
/// Writes a ready-to-run folder for a distributed trainer (Axolotl or TRL): the data in the trainer's format (SFT
/// pre-tokenized with Hone's exact per-token masks when a local tokenizer is given: input_ids + labels for Axolotl,
/// input_ids + completion_mask for TRL; otherwise chat messages with assistant-only loss; DPO as prompt/chosen/rejected),
/// the config translated from Hone's options, the sharding config (DeepSpeed ZeRO-3 or FSDP2), launch scripts for one
/// node and for several, a README and <c>handoff.json</c> (what <c>hone handoff import</c> reads back).
/// </summary>
public static class HandoffWriter
{
    /// <summary>Items per GPU per micro-step.</summary>
    public const int MicroBatch = 1;

    /// <summary>Writes the folder (which must be empty or absent).</summary>
    public static HandoffResult Write(HandoffOptions o, string folder)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new TrainingException($"Hand-off folder '{folder}' is not empty; choose a new --out folder.");
        var encoder = o.TokenizerModel is null ? null : ChatEncoder.Load(o.TokenizerModel, null, o.Template);
        var (train, examples) = Convert(o, o.TrainFile, encoder);
        var valid = o.ValidFile is null ? null : Convert(o, o.ValidFile, encoder).Rows;
        var epochs = o.Epochs ?? EpochRule.AutoEpochs(examples);
        var batch = new SftOptions { BatchSize = o.BatchSize }.ResolveBatchSize(examples);
        int world = o.GpusPerNode * o.Nodes;
        int accumulation = Math.Max(1, (int)Math.Ceiling(batch / (double)(world * MicroBatch)));
        var plan = new Plan(o, examples, epochs, batch, accumulation, world, encoder is not null && !o.Dpo, encoder?.Template.Source, DecoderLayer(o.BaseModel));

        Directory.CreateDirectory(Path.Combine(folder, "data"));
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["data/train.jsonl"] = string.Join('\n', train) + "\n",
        };
        if (valid is not null) files["data/valid.jsonl"] = string.Join('\n', valid) + "\n";
        if (plan.Template is not null) files["chat_template.jinja"] = plan.Template;
        var (single, multi) = o.Trainer == HandoffTrainer.Axolotl ? AxolotlFiles.Add(plan, files) : TrlFiles.Add(plan, files);
        files["launch/single_node.sh"] = Script(single, "one node");
        files["launch/multi_node.sh"] = Script(multi, $"each of the {Math.Max(2, o.Nodes)} nodes (NODE_RANK 0..N-1; MASTER_ADDR = node 0's address)");
        files["handoff.json"] = new JsonObject
        {
            ["format"] = "hone-handoff/1",
            ["trainer"] = o.Trainer.ToString().ToLowerInvariant(),
            ["kind"] = o.Dpo ? "dpo" : "sft",
            ["base_model"] = o.BaseModel,
            ["method"] = o.Method.ToString().ToLowerInvariant(),
            ["train"] = Path.GetFullPath(o.TrainFile),
            ["train_sha256"] = RunFolder.Sha256File(o.TrainFile),
            ["valid"] = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile),
            ["examples"] = examples, ["epochs"] = epochs, ["global_batch"] = batch, ["micro_batch"] = MicroBatch, ["gradient_accumulation"] = accumulation,
            ["learning_rate"] = o.LearningRate, ["lora_rank"] = o.Method == TrainingMethod.Lora ? o.Lora.Rank : null,
            ["gpus_per_node"] = o.GpusPerNode, ["nodes"] = o.Nodes, ["sharding"] = o.Sharding.ToString().ToLowerInvariant(), ["pre_tokenized"] = plan.PreTokenized,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        files["README.md"] = Readme(plan, single, multi);
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllText(path, text);
            if (name.EndsWith(".sh", StringComparison.Ordinal) && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                    | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return new HandoffResult(Path.GetFullPath(folder), [.. files.Keys.Order(StringComparer.Ordinal)], examples, epochs, batch, MicroBatch, accumulation,
            plan.PreTokenized, single, multi);
    }

    /// <summary>Everything the trainer files are written from.</summary>
    internal sealed record Plan(HandoffOptions O, int Examples, int Epochs, int GlobalBatch, int Accumulation, int World, bool PreTokenized, string? Template, string DecoderLayer);

    /// <summary>The decoder layer class FSDP wraps, from the model's name (Llama's when unknown).</summary>
    internal static string DecoderLayer(string model)
    {
        var m = model.ToLowerInvariant();
        return m.Contains("qwen3", StringComparison.Ordinal) ? "Qwen3DecoderLayer"
            : m.Contains("qwen", StringComparison.Ordinal) ? "Qwen2DecoderLayer"
            : m.Contains("mistral", StringComparison.Ordinal) ? "MistralDecoderLayer"
            : "LlamaDecoderLayer";
    }

    private static (List<string> Rows, int Count) Convert(HandoffOptions o, string path, ChatEncoder? encoder)
    {
        var rows = new List<string>();
        if (o.Dpo)
        {
            foreach (var line in File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                var j = JsonNode.Parse(line)!.AsObject();
                var prompt = j["input"]?["messages"]?.DeepClone() as JsonArray ?? throw new TrainingException($"{path}: a preference line needs input.messages.");
                var chosen = j["preferred_output"]?.DeepClone() as JsonArray ?? throw new TrainingException($"{path}: a preference line needs preferred_output.");
                var rejected = j["non_preferred_output"]?.DeepClone() as JsonArray ?? throw new TrainingException($"{path}: a preference line needs non_preferred_output.");
                var row = o.Trainer == HandoffTrainer.Trl
                    ? new JsonObject { ["prompt"] = prompt, ["chosen"] = chosen, ["rejected"] = rejected }
                    : new JsonObject { ["messages"] = prompt, ["chosen"] = chosen[0]!.DeepClone(), ["rejected"] = rejected[0]!.DeepClone() };
                rows.Add(row.ToJsonString());
            }
            return (rows, rows.Count);
        }
        if (encoder is not null)
        {
            foreach (var e in SftRun.ReadExamples(path, encoder))
            {
                var ids = new JsonArray([.. e.Ids.Select(i => (JsonNode)i)]);
                rows.Add((o.Trainer == HandoffTrainer.Axolotl
                    ? new JsonObject
                    {
                        ["input_ids"] = ids,
                        ["attention_mask"] = new JsonArray([.. e.Ids.Select(_ => (JsonNode)1)]),
                        ["labels"] = new JsonArray([.. e.Ids.Select((id, i) => (JsonNode)(e.Trained[i] ? id : -100))]),
                    }
                    : new JsonObject { ["input_ids"] = ids, ["completion_mask"] = new JsonArray([.. e.Trained.Select(t => (JsonNode)(t ? 1 : 0))]) }).ToJsonString());
            }
            return (rows, rows.Count);
        }
        foreach (var line in File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            var j = JsonNode.Parse(line)!.AsObject();
            var messages = j["messages"] as JsonArray ?? throw new TrainingException($"{path}: an SFT line needs messages (OpenAI chat format).");
            if (messages.Any(m => m?["weight"] is JsonValue w && w.TryGetValue<int>(out var n) && n == 0))
                throw new TrainingException($"{path}: the data have per-message weights, which {o.Trainer}'s chat format cannot carry exactly; give --tokenizer-model (a local copy of the base model's tokenizer and template) to pre-tokenize with exact per-token masks.");
            rows.Add(new JsonObject { ["messages"] = messages.DeepClone() }.ToJsonString());
        }
        return (rows, rows.Count);
    }

    private static string Script(string line, string where) =>
        $"#!/usr/bin/env bash\n# Written by hone handoff. Run from the hand-off folder on {where}.\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\n{line}\n";

    private static string Readme(Plan p, string single, string multi)
    {
        var o = p.O;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Hand-off: {(o.Dpo ? "DPO" : "SFT")} of {o.BaseModel} with {o.Trainer}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Written by `hone handoff`. {p.Examples} training items, {p.Epochs} epochs, {(o.Method == TrainingMethod.Lora ? $"LoRA r={o.Lora.Rank} alpha={o.Lora.Alpha}" : "full fine-tuning")}, ");
        sb.Append(CultureInfo.InvariantCulture, $"peak learning rate {o.LearningRate:G4}, global batch {p.GlobalBatch} = {MicroBatch} per GPU × {p.Accumulation} accumulation × {p.World} GPUs");
        if (MicroBatch * p.Accumulation * p.World != p.GlobalBatch)
            sb.Append(CultureInfo.InvariantCulture, $" (rounded up from Hone's {p.GlobalBatch}: the effective batch is {MicroBatch * p.Accumulation * p.World})");
        sb.Append(CultureInfo.InvariantCulture, $"; sharding {(o.Sharding == HandoffSharding.Zero3 ? "DeepSpeed ZeRO-3" : "FSDP2")}.\n\n");
        sb.Append("## Data\n\n");
        sb.Append(p.PreTokenized
            ? "`data/*.jsonl` are pre-tokenized with the base model's tokenizer and chat template exactly as Hone trains: "
              + (o.Trainer == HandoffTrainer.Axolotl ? "`labels` are -100 on every token Hone does not train (per-message weights included).\n\n" : "`completion_mask` is 1 on exactly the tokens Hone trains (per-message weights included).\n\n")
            : o.Dpo ? "`data/*.jsonl` hold prompt, chosen and rejected conversations; the trainer applies the chat template (loss on the completions only).\n\n"
            : "`data/*.jsonl` hold chat messages; the trainer applies the chat template with loss on assistant turns only. For Hone's exact masks, write the folder again with `--tokenizer-model`.\n\n");
        sb.Append("## Run\n\nOne node (all its GPUs):\n\n```bash\n").Append(single).Append("\n```\n\nSeveral nodes: set `NODE_RANK` (0..N-1) and `MASTER_ADDR` (node 0) on each, then on every node:\n\n```bash\n").Append(multi).Append("\n```\n\n");
        sb.Append("The scripts in `launch/` run these lines. Checkpoints and the final adapter land in `output/`.\n\n");
        sb.Append("## Back to Hone\n\n```bash\nhone handoff import output --base MODEL_DIR\n```\n\nimports the adapter (or merged model) and `trainer_state.json`'s log history into the run store, so `hone eval`, `hone compare` and `hone ui` treat it like a local run.\n");
        return sb.ToString();
    }
}
