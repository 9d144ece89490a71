using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Chat;
using Hone.Models.Train;
using Hone.Store;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training.Export;
using Hone.Training.Handoff;
using Hone.Training.Sft;
using YamlDotNet.RepresentationModel;

namespace Hone.Training.Tests.Handoff;

/// <summary>
/// hone handoff: the written configs are checked against the trainers' documented keys (the schema below, from Axolotl's
/// config reference, TRL's SFTConfig/DPOConfig and PEFT's LoraConfig, accelerate's config file and DeepSpeed's
/// config JSON), the values against Hone's options, the data against Hone's own masks; import on a real PEFT adapter
/// written by Hone and a trainer_state.json fixture.
/// </summary>
public class HandoffTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>Axolotl's documented config keys used by the hand-off (docs/config.qmd, dataset formats).</summary>
    private static readonly HashSet<string> AxolotlKeys =
    [
        "base_model", "chat_template", "chat_template_jinja", "rl", "rl_beta", "datasets", "test_datasets", "val_set_size", "dataset_prepared_path",
        "output_dir", "sequence_len", "sample_packing", "train_on_inputs", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_linear",
        "lora_target_modules", "lora_modules_to_save", "num_epochs", "micro_batch_size", "gradient_accumulation_steps", "optimizer", "learning_rate", "lr_scheduler",
        "warmup_ratio", "weight_decay", "max_grad_norm", "seed", "bf16", "gradient_checkpointing", "logging_steps", "saves_per_epoch",
        "evals_per_epoch", "deepspeed", "fsdp_version", "fsdp_config",
    ];

    private static readonly HashSet<string> AxolotlDatasetKeys = ["path", "ds_type", "type", "field_messages", "roles_to_train", "field_chosen", "field_rejected", "split"];

    private static readonly HashSet<string> AxolotlFsdpKeys = ["offload_params", "state_dict_type", "auto_wrap_policy", "transformer_layer_cls_to_wrap", "reshard_after_forward"];

    /// <summary>TrainingArguments / SFTConfig / DPOConfig keys (TRL docs).</summary>
    private static readonly HashSet<string> TrlTrainingKeys =
    [
        "output_dir", "num_train_epochs", "per_device_train_batch_size", "gradient_accumulation_steps", "learning_rate", "lr_scheduler_type", "warmup_ratio",
        "weight_decay", "max_grad_norm", "seed", "bf16", "gradient_checkpointing", "logging_steps", "save_strategy", "eval_strategy", "max_length",
        "report_to", "packing", "completion_only_loss", "assistant_only_loss", "beta",
    ];

    private static readonly HashSet<string> DpoOnly = ["beta"];

    private static readonly HashSet<string> SftOnly = ["packing", "completion_only_loss", "assistant_only_loss"];

    /// <summary>PEFT LoraConfig keys.</summary>
    private static readonly HashSet<string> LoraConfigKeys = ["r", "lora_alpha", "lora_dropout", "target_modules", "task_type", "modules_to_save", "trainable_token_indices"];

    /// <summary>accelerate config file keys (accelerate config / docs).</summary>
    private static readonly HashSet<string> AccelerateKeys =
    [
        "compute_environment", "distributed_type", "deepspeed_config", "fsdp_config", "mixed_precision", "num_machines", "num_processes", "machine_rank",
        "rdzv_backend", "same_network", "use_cpu",
    ];

    private static readonly HashSet<string> AccelerateDeepSpeedKeys = ["zero_stage", "offload_optimizer_device", "offload_param_device", "zero3_init_flag", "zero3_save_16bit_model"];

    private static readonly HashSet<string> AccelerateFsdpKeys =
    [
        "fsdp_version", "fsdp_auto_wrap_policy", "fsdp_transformer_layer_cls_to_wrap", "fsdp_state_dict_type", "fsdp_reshard_after_forward",
        "fsdp_cpu_ram_efficient_loading", "fsdp_offload_params",
    ];

    /// <summary>DeepSpeed config JSON keys.</summary>
    private static readonly HashSet<string> DeepSpeedKeys = ["zero_optimization", "bf16", "gradient_accumulation_steps", "gradient_clipping", "train_batch_size", "train_micro_batch_size_per_gpu"];

    private static readonly HashSet<string> DeepSpeedZeroKeys =
    [
        "stage", "overlap_comm", "contiguous_gradients", "reduce_bucket_size", "stage3_prefetch_bucket_size", "stage3_param_persistence_threshold",
        "stage3_gather_16bit_weights_on_model_save",
    ];

    private static string Chat(string user, string answer, int? weight = null) => JsonSerializer.Serialize(new
    {
        messages = new object[]
        {
            new { role = "system", content = "Answer in one word." }, new { role = "user", content = user },
            weight is { } w ? new { role = "assistant", content = "Maybe", weight = w } : new { role = "assistant", content = "Maybe", weight = 1 },
            new { role = "user", content = "Sure?" }, new { role = "assistant", content = answer, weight = 1 },
        },
    });

    private static string TrainFile(string dir, int n = 40)
    {
        var path = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => Chat($"Is {i} even?", i % 2 == 0 ? "Yes" : "No", weight: i % 3 == 0 ? 0 : 1)));
        return path;
    }

    private static YamlMappingNode Yaml(string path)
    {
        var y = new YamlStream();
        using var reader = new StreamReader(path);
        y.Load(reader);
        return (YamlMappingNode)y.Documents[0].RootNode;
    }

    private static Dictionary<string, YamlNode> Map(YamlNode node) => ((YamlMappingNode)node).Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!, k => k.Value);

    private static string S(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static void AssertKeys(IEnumerable<string> keys, HashSet<string> documented, string what)
    {
        var unknown = keys.Where(k => !documented.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"{what}: undocumented keys {string.Join(", ", unknown)}");
    }

    private static HandoffOptions SevenB(string dir, HandoffTrainer trainer, HandoffSharding sharding) => new()
    {
        Trainer = trainer, BaseModel = "meta-llama/Llama-2-7b-chat-hf", TrainFile = TrainFile(dir), TokenizerModel = Stories, Template = "chatml",
        Epochs = 3, LearningRateMultiplier = 0.5, BatchSize = 32, GpusPerNode = 8, Nodes = 1, Sharding = sharding, SequenceLength = 2048,
        Lora = new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0.05f, TargetModules = ["all-linear"] },
    };

    [Fact]
    public void Axolotl_7B_LoRA_SFT_on_8_GPUs_with_ZeRO3_uses_documented_keys_Hone_values_and_exact_masks()
    {
        var dir = TestAssets.NewTempDir();
        var o = SevenB(dir, HandoffTrainer.Axolotl, HandoffSharding.Zero3);
        var r = HandoffWriter.Write(o, Path.Combine(dir, "out"));
        Assert.Equal(["README.md", "chat_template.jinja", "config.yaml", "data/train.jsonl", "deepspeed/zero3.json", "handoff.json", "launch/multi_node.sh", "launch/single_node.sh"], r.Files);
        Assert.Equal((40, 3, 32, 1, 4), (r.Examples, r.Epochs, r.GlobalBatch, r.MicroBatch, r.GradientAccumulation)); // 32 = 1 × 4 × 8 GPUs
        Assert.Equal("accelerate launch --num_processes 8 -m axolotl.cli.train config.yaml", r.SingleNode);
        Assert.Equal("torchrun --nnodes 2 --nproc_per_node 8 --node_rank \"$NODE_RANK\" --rdzv_backend c10d --rdzv_endpoint \"$MASTER_ADDR:29500\" -m axolotl.cli.train config.yaml", r.MultiNode);

        var c = Map(Yaml(Path.Combine(r.Folder, "config.yaml")));
        AssertKeys(c.Keys, AxolotlKeys, "config.yaml");
        Assert.Equal("meta-llama/Llama-2-7b-chat-hf", S(c["base_model"]));
        Assert.Equal(("lora", "16", "32", "true"), (S(c["adapter"]), S(c["lora_r"]), S(c["lora_alpha"]), S(c["lora_target_linear"])));
        Assert.Equal(("3", "1", "4"), (S(c["num_epochs"]), S(c["micro_batch_size"]), S(c["gradient_accumulation_steps"])));
        Assert.Equal(1e-4, double.Parse(S(c["learning_rate"]), System.Globalization.CultureInfo.InvariantCulture)); // 2e-4 × 0.5
        Assert.Equal("deepspeed/zero3.json", S(c["deepspeed"]));
        Assert.Equal("jinja", S(c["chat_template"]));
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        Assert.Equal(encoder.Template.Source, S(c["chat_template_jinja"]));
        var dataset = Map(((YamlSequenceNode)c["datasets"]).Children[0]);
        AssertKeys(dataset.Keys, AxolotlDatasetKeys, "datasets[0]");
        Assert.False(dataset.ContainsKey("type")); // pre-tokenized
        using (var ds = JsonDocument.Parse(File.ReadAllText(Path.Combine(r.Folder, "deepspeed", "zero3.json"))))
        {
            AssertKeys(ds.RootElement.EnumerateObject().Select(p => p.Name), DeepSpeedKeys, "zero3.json");
            AssertKeys(ds.RootElement.GetProperty("zero_optimization").EnumerateObject().Select(p => p.Name), DeepSpeedZeroKeys, "zero_optimization");
            Assert.Equal(3, ds.RootElement.GetProperty("zero_optimization").GetProperty("stage").GetInt32());
        }

        // The labels are Hone's exact masks: -100 wherever Hone trains nothing (the weight-0 answers included).
        var expected = SftRun.ReadExamples(o.TrainFile, encoder);
        var rows = File.ReadAllLines(Path.Combine(r.Folder, "data", "train.jsonl"));
        Assert.Equal(expected.Count, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            var row = JsonNode.Parse(rows[i])!;
            var ids = row["input_ids"]!.AsArray().Select(x => (int)x!).ToArray();
            var labels = row["labels"]!.AsArray().Select(x => (int)x!).ToArray();
            Assert.Equal(expected[i].Ids, ids);
            Assert.Equal(expected[i].Ids.Select((id, k) => expected[i].Trained[k] ? id : -100), labels);
        }
        Assert.Contains(rows, l => JsonNode.Parse(l)!["labels"]!.AsArray().Count(x => (int)x! != -100) < JsonNode.Parse(rows[1])!["labels"]!.AsArray().Count(x => (int)x! != -100));
        Assert.Contains(r.SingleNode, File.ReadAllText(Path.Combine(r.Folder, "launch", "single_node.sh")), StringComparison.Ordinal);
        Assert.Contains(r.MultiNode, File.ReadAllText(Path.Combine(r.Folder, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Trl_7B_LoRA_SFT_on_8_GPUs_with_FSDP2_uses_documented_keys_and_completion_masks()
    {
        var dir = TestAssets.NewTempDir();
        var r = HandoffWriter.Write(SevenB(dir, HandoffTrainer.Trl, HandoffSharding.Fsdp2) with { Nodes = 2 }, Path.Combine(dir, "out"));
        Assert.Contains("accelerate/fsdp2.yaml", r.Files);
        Assert.Contains("train.py", r.Files);
        Assert.Equal(2, r.GradientAccumulation); // 32 = 1 × 2 × 16 GPUs
        Assert.Equal("accelerate launch --config_file accelerate/fsdp2.yaml --num_machines 2 --num_processes 16 --machine_rank \"$NODE_RANK\" --main_process_ip \"$MASTER_ADDR\" --main_process_port 29500 train.py config.yaml", r.MultiNode);
        var c = Map(Yaml(Path.Combine(r.Folder, "config.yaml")));
        Assert.Equal(["model", "peft", "training", "data"], c.Keys);
        var training = Map(c["training"]);
        AssertKeys(training.Keys, TrlTrainingKeys, "training");
        Assert.DoesNotContain(training.Keys, DpoOnly.Contains);
        Assert.Equal(("3", "1", "2", "true"), (S(training["num_train_epochs"]), S(training["per_device_train_batch_size"]), S(training["gradient_accumulation_steps"]), S(training["completion_only_loss"])));
        var peft = Map(c["peft"]);
        AssertKeys(peft.Keys, LoraConfigKeys, "peft");
        Assert.Equal(("16", "all-linear"), (S(peft["r"]), S(peft["target_modules"])));
        var acc = Map(Yaml(Path.Combine(r.Folder, "accelerate", "fsdp2.yaml")));
        AssertKeys(acc.Keys, AccelerateKeys, "accelerate");
        var fsdp = Map(acc["fsdp_config"]);
        AssertKeys(fsdp.Keys, AccelerateFsdpKeys, "fsdp_config");
        Assert.Equal(("2", "LlamaDecoderLayer", "16"), (S(fsdp["fsdp_version"]), S(fsdp["fsdp_transformer_layer_cls_to_wrap"]), S(acc["num_processes"])));
        var row = JsonNode.Parse(File.ReadAllLines(Path.Combine(r.Folder, "data", "train.jsonl"))[0])!;
        Assert.Equal(row["input_ids"]!.AsArray().Count, row["completion_mask"]!.AsArray().Count);
    }

    [Fact]
    public void Modules_to_save_and_trainable_tokens_reach_the_trainers_that_carry_them_and_axolotl_refuses_token_rows()
    {
        var dir = TestAssets.NewTempDir();
        var lora = new LoraOptions { Rank = 16, Alpha = 32, TargetModules = ["all-linear"], ModulesToSave = ["lm_head"] };
        var axolotl = HandoffWriter.Write(SevenB(dir, HandoffTrainer.Axolotl, HandoffSharding.Zero3) with { Lora = lora }, Path.Combine(dir, "axolotl"));
        var c = Map(Yaml(Path.Combine(axolotl.Folder, "config.yaml")));
        AssertKeys(c.Keys, AxolotlKeys, "config.yaml");
        Assert.Equal(["lm_head"], ((YamlSequenceNode)c["lora_modules_to_save"]).Children.Select(S));

        var rows = lora with { ModulesToSave = [], TrainableTokenIndices = [7, 2, 7] };
        var trl = HandoffWriter.Write(SevenB(dir, HandoffTrainer.Trl, HandoffSharding.Fsdp2) with { Lora = rows }, Path.Combine(dir, "trl"));
        var peft = Map(Map(Yaml(Path.Combine(trl.Folder, "config.yaml")))["peft"]);
        AssertKeys(peft.Keys, LoraConfigKeys, "peft");
        Assert.Equal(["2", "7"], ((YamlSequenceNode)peft["trainable_token_indices"]).Children.Select(S));
        Assert.False(peft.ContainsKey("modules_to_save"));

        var e = Assert.Throws<TrainingException>(() => HandoffWriter.Write(SevenB(dir, HandoffTrainer.Axolotl, HandoffSharding.Zero3) with { Lora = rows }, Path.Combine(dir, "refused")));
        Assert.Contains("hone handoff trl", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "refused")));
    }

    [Fact]
    public void Dpo_handoff_carries_beta_and_chat_messages_without_a_tokenizer_and_weights_need_one()
    {
        var dir = TestAssets.NewTempDir();
        var pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 4).Select(i => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = $"Q{i}" } } },
            preferred_output = new[] { new { role = "assistant", content = "Good" } },
            non_preferred_output = new[] { new { role = "assistant", content = "Bad" } },
        })));
        foreach (var trainer in new[] { HandoffTrainer.Axolotl, HandoffTrainer.Trl })
        {
            var r = HandoffWriter.Write(new HandoffOptions { Trainer = trainer, Dpo = true, BaseModel = "Qwen/Qwen2.5-7B-Instruct", TrainFile = pairs, Beta = 0.25, GpusPerNode = 8 },
                Path.Combine(dir, trainer.ToString()));
            var c = Map(Yaml(Path.Combine(r.Folder, "config.yaml")));
            if (trainer == HandoffTrainer.Axolotl)
            {
                AssertKeys(c.Keys, AxolotlKeys, "axolotl dpo");
                Assert.Equal(("dpo", "0.25"), (S(c["rl"]), S(c["rl_beta"])));
            }
            else
            {
                var training = Map(c["training"]);
                AssertKeys(training.Keys, TrlTrainingKeys, "trl dpo");
                Assert.DoesNotContain(training.Keys, SftOnly.Contains);
                Assert.Equal("0.25", S(training["beta"]));
                Assert.Equal(["prompt", "chosen", "rejected"], JsonNode.Parse(File.ReadAllLines(Path.Combine(r.Folder, "data", "train.jsonl"))[0])!.AsObject().Select(kv => kv.Key));
            }
        }
        var weighted = Assert.Throws<TrainingException>(() => HandoffWriter.Write(new HandoffOptions { BaseModel = "x", TrainFile = TrainFile(dir) }, Path.Combine(dir, "w")));
        Assert.Contains("--tokenizer-model", weighted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_brings_back_a_real_Hone_PEFT_adapter_and_trainer_state_metrics_and_the_adapter_is_evaluated()
    {
        var dir = TestAssets.NewTempDir();
        var train = Path.Combine(dir, "t.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 4).Select(i => Chat($"Is {i} even?", "Yes")));
        var run = Path.Combine(dir, "run");
        using (SftRun.Start(new SftRunOptions
        {
            ModelPath = Stories, Template = "chatml", TrainFile = train, Threads = 1,
            Trainer = new SftOptions { Epochs = 1, BatchSize = 2, EvalEvery = 0, Seed = 1 },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 1 },
        }, run).Model) { }
        var output = Path.Combine(dir, "output");
        Exporter.Export(run, new Hone.Training.Export.ExportOptions { Format = ExportFormat.Adapter, Output = Path.Combine(output, "checkpoint-4") });
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "handoff", "trainer_state.json"), Path.Combine(output, "checkpoint-4", "trainer_state.json"));

        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var r = HandoffImport.Import(output, store, Stories);
        Assert.Equal(("adapter", 4, true), (r.ModelKind, r.Steps, r.Verified));
        var record = store.GetRun(r.RunId);
        Assert.Equal(("handoff-sft", RunStatus.Succeeded), (record.Kind, record.Status));
        Assert.Equal([(1L, 2.4312), (2L, 2.1034), (3L, 1.8876), (4L, 1.7021)], store.GetMetric(r.RunId, "train_loss"));
        Assert.Equal([(2L, 2.2001), (4L, 1.9876)], store.GetMetric(r.RunId, "valid_loss"));
        Assert.Equal([(2L, 0.44), (4L, 0.49)], store.GetMetric(r.RunId, "valid_mean_token_accuracy"));
        Assert.Equal(4, store.GetMetric(r.RunId, "train_mean_token_accuracy").Count);
        Assert.DoesNotContain("train_runtime", store.GetMetricNames(r.RunId));
        Assert.DoesNotContain("valid_runtime", store.GetMetricNames(r.RunId));
        Assert.Equal(r.ModelFolder, store.GetArtifacts(r.RunId)["adapter"]);

        // Evaluated: the imported adapter over its base answers like the run that trained it.
        var merged = Exporter.Export(run, new Hone.Training.Export.ExportOptions { Format = ExportFormat.Merged, Output = Path.Combine(dir, "merged") }).Path;
        using var imported = LocalChatClient.Load(Stories, null, "chatml", r.ModelFolder, null);
        using var reference = LocalChatClient.Load(merged, null, null, null, null);
        var prompt = new[] { new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Is 3 even?") };
        var options = new Microsoft.Extensions.AI.ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        var a = (await imported.GetResponseAsync(prompt, options)).Text;
        Assert.False(string.IsNullOrEmpty(a));
        Assert.Equal((await reference.GetResponseAsync(prompt, options)).Text, a);
        var bad = Assert.Throws<TrainingException>(() => HandoffImport.Import(dir, store));
        Assert.Contains("adapter_config.json", bad.Message, StringComparison.Ordinal);
    }
}
