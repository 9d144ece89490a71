using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Training.Sft;

namespace Hone.Training.Handoff;

/// <summary>TRL's files: <c>config.yaml</c> (model, peft, training = SFTConfig/DPOConfig keys, data), <c>train.py</c> and the accelerate config.</summary>
internal static class TrlFiles
{
    public static (string Single, string Multi) Add(HandoffWriter.Plan p, Dictionary<string, string> files)
    {
        var o = p.O;
        var training = new JsonObject
        {
            ["output_dir"] = "output",
            ["num_train_epochs"] = p.Epochs,
            ["per_device_train_batch_size"] = HandoffWriter.MicroBatch,
            ["gradient_accumulation_steps"] = p.Accumulation,
            ["learning_rate"] = o.LearningRate,
            ["lr_scheduler_type"] = "cosine",
            ["warmup_ratio"] = o.WarmupRatio,
            ["weight_decay"] = 0.0,
            ["max_grad_norm"] = 1.0,
            ["seed"] = o.Seed,
            ["bf16"] = true,
            ["gradient_checkpointing"] = true,
            ["logging_steps"] = 1,
            ["save_strategy"] = "epoch",
            ["eval_strategy"] = o.ValidFile is null ? "no" : "epoch",
            ["max_length"] = o.SequenceLength,
            ["report_to"] = "none",
        };
        if (o.Dpo)
        {
            training["beta"] = o.Beta;
        }
        else
        {
            training["packing"] = false;
            if (p.PreTokenized) training["completion_only_loss"] = true;
            else training["assistant_only_loss"] = true;
        }
        var c = new JsonObject
        {
            ["model"] = new JsonObject { ["model_name_or_path"] = o.BaseModel, ["torch_dtype"] = "bfloat16" },
        };
        if (o.Method == TrainingMethod.Lora)
        {
            c["peft"] = new JsonObject
            {
                ["r"] = o.Lora.Rank, ["lora_alpha"] = o.Lora.Alpha, ["lora_dropout"] = o.Lora.Dropout,
                ["target_modules"] = o.Lora.TargetModules.Contains("all-linear") ? "all-linear" : new JsonArray([.. o.Lora.TargetModules.Select(m => (JsonNode)m)]),
                ["task_type"] = "CAUSAL_LM",
            };
            var peft = c["peft"]!.AsObject();
            if (o.Lora.ModulesToSave.Count > 0) peft["modules_to_save"] = new JsonArray([.. o.Lora.ModulesToSave.Select(m => (JsonNode)m)]);
            if (o.Lora.TrainableTokenIndices.Count > 0) // PEFT's trainable_token_indices: the same rows Hone trains
                peft["trainable_token_indices"] = new JsonArray([.. o.Lora.TrainableTokenIndices.Distinct().Order().Select(t => (JsonNode)t)]);
        }
        c["training"] = training;
        c["data"] = new JsonObject
        {
            ["train"] = "data/train.jsonl",
            ["valid"] = o.ValidFile is null ? null : "data/valid.jsonl",
            ["chat_template"] = p.Template is null ? null : "chat_template.jinja",
        };
        files["config.yaml"] = Yaml.Write(c, "TRL config written by hone handoff: 'training' holds " + (o.Dpo ? "DPOConfig" : "SFTConfig") + " keys, 'peft' LoraConfig keys.");
        files["train.py"] = TrainPy(o.Dpo);
        var accelerate = o.Sharding == HandoffSharding.Zero3
            ? new JsonObject
            {
                ["compute_environment"] = "LOCAL_MACHINE", ["distributed_type"] = "DEEPSPEED",
                ["deepspeed_config"] = new JsonObject
                {
                    ["zero_stage"] = 3, ["offload_optimizer_device"] = "none", ["offload_param_device"] = "none", ["zero3_init_flag"] = true, ["zero3_save_16bit_model"] = true,
                },
                ["mixed_precision"] = "bf16", ["num_machines"] = o.Nodes, ["num_processes"] = p.World, ["machine_rank"] = 0, ["rdzv_backend"] = "static",
                ["same_network"] = true, ["use_cpu"] = false,
            }
            : new JsonObject
            {
                ["compute_environment"] = "LOCAL_MACHINE", ["distributed_type"] = "FSDP",
                ["fsdp_config"] = new JsonObject
                {
                    ["fsdp_version"] = 2, ["fsdp_auto_wrap_policy"] = "TRANSFORMER_BASED_WRAP", ["fsdp_transformer_layer_cls_to_wrap"] = p.DecoderLayer,
                    ["fsdp_state_dict_type"] = "FULL_STATE_DICT", ["fsdp_reshard_after_forward"] = true, ["fsdp_cpu_ram_efficient_loading"] = true, ["fsdp_offload_params"] = false,
                },
                ["mixed_precision"] = "bf16", ["num_machines"] = o.Nodes, ["num_processes"] = p.World, ["machine_rank"] = 0, ["rdzv_backend"] = "static",
                ["same_network"] = true, ["use_cpu"] = false,
            };
        var name = o.Sharding == HandoffSharding.Zero3 ? "accelerate/zero3.yaml" : "accelerate/fsdp2.yaml";
        files[name] = Yaml.Write(accelerate, "accelerate config written by hone handoff.");
        var single = $"accelerate launch --config_file {name} --num_machines 1 --num_processes {o.GpusPerNode} train.py config.yaml";
        var nodes = Math.Max(2, o.Nodes);
        var multi = $"accelerate launch --config_file {name} --num_machines {nodes} --num_processes {nodes * o.GpusPerNode} --machine_rank \"$NODE_RANK\" --main_process_ip \"$MASTER_ADDR\" --main_process_port 29500 train.py config.yaml";
        return (single, multi);
    }

    private static string TrainPy(bool dpo) => $$"""
        # Written by hone handoff: trains with TRL from config.yaml (model, peft, training, data).
        import sys, yaml
        from datasets import load_dataset
        from peft import LoraConfig
        from transformers import AutoTokenizer
        from trl import {{(dpo ? "DPOConfig, DPOTrainer" : "SFTConfig, SFTTrainer")}}

        cfg = yaml.safe_load(open(sys.argv[1] if len(sys.argv) > 1 else "config.yaml"))
        files = {"train": cfg["data"]["train"]}
        if cfg["data"].get("valid"):
            files["validation"] = cfg["data"]["valid"]
        data = load_dataset("json", data_files=files)
        tokenizer = AutoTokenizer.from_pretrained(cfg["model"]["model_name_or_path"])
        if cfg["data"].get("chat_template"):
            tokenizer.chat_template = open(cfg["data"]["chat_template"]).read()
        args = {{(dpo ? "DPOConfig" : "SFTConfig")}}(**cfg["training"], model_init_kwargs={"torch_dtype": cfg["model"]["torch_dtype"]})
        trainer = {{(dpo ? "DPOTrainer" : "SFTTrainer")}}(
            model=cfg["model"]["model_name_or_path"],
            args=args,
            train_dataset=data["train"],
            eval_dataset=data.get("validation"),
            processing_class=tokenizer,
            peft_config=LoraConfig(**cfg["peft"]) if cfg.get("peft") else None,
        )
        trainer.train()
        trainer.save_model(args.output_dir)
        trainer.save_state()

        """;
}
