using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Training.Batching;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Cli.Tests;

public class ExportCommandTests
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>A one-epoch run on stories260K (LoRA or full) with the run.json `hone train sft` writes.</summary>
    private static string TrainRun(string dir, bool lora)
    {
        var runPath = Path.Combine(dir, lora ? "run-lora" : "run-full");
        using var model = LlamaModel.Load(Checkpoint);
        var loraOptions = new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"], Seed = 1 };
        var options = new SftOptions
        {
            Method = lora ? TrainingMethod.Lora : TrainingMethod.Full, Epochs = 1, BatchSize = 2, MicroBatchSize = 2,
            SequenceLength = 16, EvalEvery = 0, Seed = 3, LearningRateMultiplier = lora ? 100 : 500, WarmupRatio = 0,
        };
        using var engine = new LlamaTrainer(model, 2, 16, lora ? loraOptions : null);
        var rng = new Random(2);
        var examples = Enumerable.Range(0, 4).Select(_ =>
        {
            var ids = Enumerable.Range(0, 12).Select(_ => rng.Next(3, 512)).ToArray();
            return new TokenizedExample(ids, [.. ids.Select((_, i) => i >= 3)]);
        }).ToList();
        var folder = new RunFolder(runPath);
        var sft = new SftTrainer(engine, options, examples, null, folder);
        var json = new JsonObject
        {
            ["model"] = Checkpoint,
            ["trainer"] = JsonNode.Parse(options.ToJson()),
            ["lora"] = new JsonObject { ["rank"] = 4, ["alpha"] = 8, ["dropout"] = 0, ["seed"] = 1, ["target_modules"] = new JsonArray("q_proj", "v_proj", "down_proj") },
        }.ToJsonString();
        folder.WriteManifest("sft", json, sft.Resolved, new Dictionary<string, string>(), Checkpoint, "test");
        sft.Run();
        return runPath;
    }

    [Fact]
    public void Export_writes_adapter_merged_and_gguf_and_generate_agrees_on_all_three()
    {
        var dir = TestAssets.NewTempDir();
        var run = TrainRun(dir, lora: true);
        var adapter = CliRunner.Run(dir, "export", run, "--format", "adapter", "--out", "adapter", "--json");
        Assert.True(adapter.ExitCode == 0, adapter.Stderr);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"],
            adapter.Json.GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetString())));
        var merged = CliRunner.Run(dir, "export", run, "--format", "merged", "--out", "merged");
        Assert.True(merged.ExitCode == 0, merged.Stderr);
        Assert.Contains("model.safetensors", merged.Stdout, StringComparison.Ordinal);
        var gguf = CliRunner.Run(dir, "export", run, "--format", "gguf", "--out", "model.gguf");
        Assert.True(gguf.ExitCode == 0, gguf.Stderr);

        string Text(params string[] args)
        {
            var r = CliRunner.Run(dir, ["generate", "--prompt", "Once upon a time", "--max-tokens", "40", "--threads", "1", "--json", .. args]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return r.Json.GetProperty("text").GetString()!;
        }

        var atRunTime = Text("--model", Checkpoint, "--adapter", Path.Combine(dir, "adapter"));
        Assert.Equal(atRunTime, Text("--model", Path.Combine(dir, "merged"))); // its tokenizer travels with it (tok512.bin as tokenizer.json)
        Assert.Equal(atRunTime, Text("--model", Path.Combine(dir, "model.gguf")));

        var again = CliRunner.Run(dir, "export", run, "--format", "adapter", "--out", "adapter");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run(dir, "export", run, "--format", "adapter", "--out", "adapter", "--force").ExitCode);
    }

    [Fact]
    public void Bad_run_full_run_as_adapter_and_bad_format_are_usage_errors()
    {
        var dir = TestAssets.NewTempDir();
        var missing = CliRunner.Run(dir, "export", "no-such-run", "--format", "merged");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such run folder", missing.Stderr, StringComparison.Ordinal);

        var full = TrainRun(dir, lora: false);
        var r = CliRunner.Run(dir, "export", full, "--format", "adapter", "--out", "a");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("full fine-tuning", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "a")));
        Assert.Equal(2, CliRunner.Run(dir, "export", full, "--format", "onnx").ExitCode);
        Assert.Equal(0, CliRunner.Run(dir, "export", full, "--format", "merged", "--out", "m").ExitCode);

        // Quantised GGUF: the types llama.cpp users run, readable by generate (stored-type kernels); rows of 172 fall back to F16.
        foreach (var type in new[] { "bf16", "q8_0", "q4_0" })
        {
            var q = CliRunner.Run(dir, "export", full, "--format", "gguf", "--gguf-type", type, "--json");
            Assert.True(q.ExitCode == 0, q.Stderr);
            var path = Path.Combine(full, "exports", $"model-{type}.gguf");
            Assert.True(File.Exists(path), path);
            using (var file = Hone.Formats.Gguf.GgufFile.Open(path))
                Assert.Equal(type.ToUpperInvariant(), file.GetTensor("blk.0.attn_q.weight").Type.ToString());
            var g = CliRunner.Run(dir, "generate", "--model", path, "--prompt", "Once", "--max-tokens", "8", "--threads", "1", "--json");
            Assert.True(g.ExitCode == 0, g.Stderr);
        }

        Assert.Equal(2, CliRunner.Run(dir, "export", full, "--format", "gguf", "--gguf-type", "q5_k").ExitCode);

        var badAdapter = CliRunner.Run(dir, "generate", "--model", Checkpoint, "--adapter", Path.Combine(dir, "m"), "--max-tokens", "5");
        Assert.Equal(2, badAdapter.ExitCode);
        Assert.Contains("adapter_config.json", badAdapter.Stderr, StringComparison.Ordinal);
    }
}
