using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Training.Sft;

namespace Hone.Training.Handoff;

/// <summary>Axolotl's files: <c>config.yaml</c> (and <c>deepspeed/zero3.json</c> for ZeRO-3; FSDP2 lives in the config).</summary>
internal static class AxolotlFiles
{
    public static (string Single, string Multi) Add(HandoffWriter.Plan p, Dictionary<string, string> files)
    {
        var o = p.O;
        var dataset = new JsonObject { ["path"] = "data/train.jsonl", ["ds_type"] = "json" };
        if (o.Dpo)
        {
            dataset["type"] = "chat_template.default";
            dataset["field_messages"] = "messages";
            dataset["field_chosen"] = "chosen";
            dataset["field_rejected"] = "rejected";
        }
        else if (!p.PreTokenized)
        {
            dataset["type"] = "chat_template";
            dataset["field_messages"] = "messages";
            dataset["roles_to_train"] = new JsonArray("assistant");
        }
        // Pre-tokenized rows (input_ids, attention_mask, labels) take no type: Axolotl uses them as they are.
        var c = new JsonObject { ["base_model"] = o.BaseModel };
        if (p.Template is not null)
        {
            c["chat_template"] = "jinja";
            c["chat_template_jinja"] = p.Template;
        }
        if (o.Dpo)
        {
            c["rl"] = "dpo";
            c["rl_beta"] = o.Beta;
        }
        c["datasets"] = new JsonArray(dataset);
        if (o.ValidFile is not null)
        {
            var test = dataset.DeepClone().AsObject();
            test["path"] = "data/valid.jsonl";
            test["split"] = "train";
            c["test_datasets"] = new JsonArray(test);
        }
        else
        {
            c["val_set_size"] = 0;
        }
        c["dataset_prepared_path"] = "prepared";
        c["output_dir"] = "output";
        c["sequence_len"] = o.SequenceLength;
        c["sample_packing"] = false;
        c["train_on_inputs"] = false;
        if (o.Method == TrainingMethod.Lora)
        {
            c["adapter"] = "lora";
            c["lora_r"] = o.Lora.Rank;
            c["lora_alpha"] = o.Lora.Alpha;
            c["lora_dropout"] = o.Lora.Dropout;
            if (o.Lora.TargetModules.Contains("all-linear")) c["lora_target_linear"] = true;
            else c["lora_target_modules"] = new JsonArray([.. o.Lora.TargetModules.Select(m => (JsonNode)m)]);
            if (o.Lora.ModulesToSave.Count > 0) c["lora_modules_to_save"] = new JsonArray([.. o.Lora.ModulesToSave.Select(m => (JsonNode)m)]);
        }
        c["num_epochs"] = p.Epochs;
        c["micro_batch_size"] = HandoffWriter.MicroBatch;
        c["gradient_accumulation_steps"] = p.Accumulation;
        c["optimizer"] = "adamw_torch_fused";
        c["learning_rate"] = o.LearningRate;
        c["lr_scheduler"] = "cosine";
        c["warmup_ratio"] = o.WarmupRatio;
        c["weight_decay"] = 0.0;
        c["max_grad_norm"] = 1.0;
        c["seed"] = o.Seed;
        c["bf16"] = "auto";
        c["gradient_checkpointing"] = true;
        c["logging_steps"] = 1;
        c["saves_per_epoch"] = 1;
        if (o.ValidFile is not null) c["evals_per_epoch"] = 1;
        if (o.Sharding == HandoffSharding.Zero3)
        {
            c["deepspeed"] = "deepspeed/zero3.json";
            files["deepspeed/zero3.json"] = new JsonObject
            {
                ["zero_optimization"] = new JsonObject
                {
                    ["stage"] = 3, ["overlap_comm"] = true, ["contiguous_gradients"] = true, ["reduce_bucket_size"] = "auto",
                    ["stage3_prefetch_bucket_size"] = "auto", ["stage3_param_persistence_threshold"] = "auto", ["stage3_gather_16bit_weights_on_model_save"] = true,
                },
                ["bf16"] = new JsonObject { ["enabled"] = "auto" },
                ["gradient_accumulation_steps"] = "auto", ["gradient_clipping"] = "auto", ["train_batch_size"] = "auto", ["train_micro_batch_size_per_gpu"] = "auto",
            }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        }
        else
        {
            c["fsdp_version"] = 2;
            c["fsdp_config"] = new JsonObject
            {
                ["offload_params"] = false, ["state_dict_type"] = "FULL_STATE_DICT", ["auto_wrap_policy"] = "TRANSFORMER_BASED_WRAP",
                ["transformer_layer_cls_to_wrap"] = p.DecoderLayer, ["reshard_after_forward"] = true,
            };
        }
        files["config.yaml"] = Yaml.Write(c, "Axolotl config written by hone handoff from Hone's options (see README.md).");
        var single = $"accelerate launch --num_processes {o.GpusPerNode} -m axolotl.cli.train config.yaml";
        var nodes = Math.Max(2, o.Nodes);
        var multi = $"torchrun --nnodes {nodes} --nproc_per_node {o.GpusPerNode} --node_rank \"$NODE_RANK\" --rdzv_backend c10d --rdzv_endpoint \"$MASTER_ADDR:29500\" -m axolotl.cli.train config.yaml";
        return (single, multi);
    }
}
