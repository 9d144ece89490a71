using Hone.Formats.Gguf;
using Hone.Formats.Safetensors;
using Hone.Models.Adapters;
using Hone.Models.Chat;
using Hone.Models.Llama;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Training.Export;
using Xunit.Abstractions;

namespace Hone.Training.Tests.Export;

/// <summary>Trained runs shared by the export tests (trained once).</summary>
public sealed class ExportRuns
{
    public ExportRuns()
    {
        Dir = TestAssets.NewTempDir("export-runs");
        HfBase = ExportFixture.HfBase(Dir);
        var l2c = Path.Combine(Dir, "l2c");
        var hf = Path.Combine(Dir, "hf");
        (Llama2cLora, Llama2cLoraOracle) = ExportFixture.Train(l2c, ExportFixture.Llama2cBase, lora: true);
        (HfLora, HfLoraOracle) = ExportFixture.Train(hf, HfBase, lora: true);
        (HfFull, HfFullOracle) = ExportFixture.Train(hf, HfBase, lora: false);
        UntiedHfBase = ExportFixture.UntiedHfBase(Dir, HfBase);
        (Llama2cLoraSaved, Llama2cLoraSavedOracle) = ExportFixture.Train(l2c, ExportFixture.Llama2cBase, lora: true, ["embed_tokens", "lm_head"]);
        (UntiedLoraSaved, UntiedLoraSavedOracle) = ExportFixture.Train(Path.Combine(Dir, "untied"), UntiedHfBase, lora: true, ["embed_tokens", "lm_head"]);
        (Llama2cLoraTokens, Llama2cLoraTokensOracle) = ExportFixture.Train(l2c, ExportFixture.Llama2cBase, lora: true, trainableTokens: TokenIds);
        (UntiedLoraTokens, UntiedLoraTokensOracle) = ExportFixture.Train(Path.Combine(Dir, "untied"), UntiedHfBase, lora: true, trainableTokens: TokenIds);
    }

    /// <summary>The trainable tokens of the token runs (listed unsorted and with a repeat; the probe holds them all).</summary>
    public static int[] TokenIds => [411, 12, 258, 12];

    public string Llama2cLoraTokens { get; }
    public float[] Llama2cLoraTokensOracle { get; }
    public string UntiedLoraTokens { get; }
    public float[] UntiedLoraTokensOracle { get; }

    public string Dir { get; }
    public string HfBase { get; }
    public string Llama2cLora { get; }
    public float[] Llama2cLoraOracle { get; }
    public string HfLora { get; }
    public float[] HfLoraOracle { get; }
    public string HfFull { get; }
    public float[] HfFullOracle { get; }
    public string UntiedHfBase { get; }
    public string Llama2cLoraSaved { get; }
    public float[] Llama2cLoraSavedOracle { get; }
    public string UntiedLoraSaved { get; }
    public float[] UntiedLoraSavedOracle { get; }

    public (string Run, float[] Oracle, string Base) Get(string kind) => kind switch
    {
        "llama2c-lora" => (Llama2cLora, Llama2cLoraOracle, ExportFixture.Llama2cBase),
        "hf-lora" => (HfLora, HfLoraOracle, HfBase),
        "hf-full" => (HfFull, HfFullOracle, HfBase),
        "llama2c-lora-saved" => (Llama2cLoraSaved, Llama2cLoraSavedOracle, ExportFixture.Llama2cBase),
        "untied-lora-saved" => (UntiedLoraSaved, UntiedLoraSavedOracle, UntiedHfBase),
        "llama2c-lora-tokens" => (Llama2cLoraTokens, Llama2cLoraTokensOracle, ExportFixture.Llama2cBase),
        "untied-lora-tokens" => (UntiedLoraTokens, UntiedLoraTokensOracle, UntiedHfBase),
        _ => throw new ArgumentException(kind),
    };
}

public class ExporterTests(ExportRuns runs, ITestOutputHelper output) : IClassFixture<ExportRuns>
{
    private const double Tolerance = 1e-4;

    private string Out(string name) => Path.Combine(TestAssets.NewTempDir(name), "out");

    [Theory]
    [InlineData("llama2c-lora")]
    [InlineData("hf-lora")]
    public void Adapter_export_applied_at_run_time_gives_the_trainers_log_probs(string kind)
    {
        var (run, oracle, basePath) = runs.Get(kind);
        var result = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Adapter, Output = Out(kind) });
        // Beside the adapter, the tokenizer and the run's chat template, as TRL saves them (tok512.bin as tokenizer.json for a llama2.c base).
        var tokenizerFile = kind == "hf-lora" ? "tokenizer.bin" : "tokenizer.json";
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors", "special_tokens_map.json", tokenizerFile, "tokenizer_config.json"],
            result.Files.Select(Path.GetFileName));

        using (var st = SafetensorsFile.Open(Path.Combine(result.Path, "adapter_model.safetensors")))
        {
            Assert.Contains(st.Tensors, t => t.Name == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" && t.Shape.SequenceEqual([4L, 64]));
            Assert.Contains(st.Tensors, t => t.Name == "base_model.model.model.layers.4.mlp.down_proj.lora_B.weight" && t.Shape.SequenceEqual([64L, 4]));
            Assert.Equal(5 * 7 * 2, st.Tensors.Count);
        }

        var adapter = PeftAdapterFiles.Read(result.Path);
        Assert.Equal(4, adapter.Rank);
        Assert.Equal(8f, adapter.Alpha);
        Assert.Equal(PeftAdapter.Modules, adapter.TargetModules);

        using var tuned = AdapterLoader.Load(basePath, result.Path);
        using var baseModel = LlamaModel.Load(basePath);
        double diff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(tuned));
        double moved = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(baseModel));
        output.WriteLine($"{kind}: adapter at run time vs trainer: max |Δ log p| {diff:E2}; base vs trainer {moved:E2}");
        Assert.True(diff < Tolerance, $"{diff}");
        Assert.True(moved > 100 * Tolerance, $"training changed too little to test: {moved}");
    }

    [Fact]
    public void Adapter_trained_on_the_llama2c_base_means_the_same_on_its_hf_twin()
    {
        // The file holds HF row order: applied to the HF copy of stories260K it gives the same log-probs as on the .bin.
        var result = Exporter.Export(runs.Llama2cLora, new ExportOptions { Format = ExportFormat.Adapter, Output = Out("twin") });
        using var onHf = AdapterLoader.Load(runs.HfBase, result.Path);
        double diff = ExportFixture.MaxDiff(runs.Llama2cLoraOracle, ExportFixture.SessionLogProbs(onHf));
        output.WriteLine($"llama2.c-trained adapter on the HF twin: {diff:E2}");
        Assert.True(diff < Tolerance, $"{diff}");
    }

    [Theory]
    [InlineData("llama2c-lora")]
    [InlineData("hf-lora")]
    [InlineData("hf-full")]
    public void Merged_export_loads_with_LoadHf_and_gives_the_same_logits(string kind)
    {
        var (run, oracle, basePath) = runs.Get(kind);
        var result = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Merged, Output = Out(kind) });
        Assert.Contains(result.Files, f => Path.GetFileName(f) == "config.json");
        Assert.Contains(result.Files, f => Path.GetFileName(f) == "model.safetensors");
        Assert.Contains(result.Files, f => Path.GetFileName(f) == (kind.StartsWith("llama2c", StringComparison.Ordinal) ? "tokenizer.json" : "tokenizer.bin"));
        using var merged = LlamaModel.LoadHf(result.Path);
        Assert.Equal(RopeLayout.HalfRotation, merged.Config.RopeLayout);
        double diff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(merged));
        output.WriteLine($"{kind}: merged (LoadHf) vs trainer: max |Δ log p| {diff:E2}");
        Assert.True(diff < Tolerance, $"{diff}");

        if (kind.EndsWith("lora", StringComparison.Ordinal))
        {
            var adapter = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Adapter, Output = Out(kind + "-a") });
            using var atRunTime = AdapterLoader.Load(basePath, adapter.Path);
            double logits = ExportFixture.MaxDiff(ExportFixture.Logits(atRunTime), ExportFixture.Logits(merged));
            output.WriteLine($"{kind}: merged vs adapter at run time: max |Δ logit| {logits:E2}");
            Assert.True(logits < Tolerance, $"{logits}");
        }

        var tokBase = TokenizerLoader.Load(Directory.Exists(basePath) ? basePath : ModelPaths.FindTokenizer(basePath));
        var tokMerged = TokenizerLoader.Load(result.Path);
        Assert.Equal(tokBase.Encode("Once upon a time, a little cat", addBos: true), tokMerged.Encode("Once upon a time, a little cat", addBos: true));
    }

    [Theory]
    [InlineData("llama2c-lora", GgufExportType.F32, 1e-4)]
    [InlineData("hf-lora", GgufExportType.F32, 1e-4)]
    [InlineData("hf-full", GgufExportType.F32, 1e-4)]
    [InlineData("hf-lora", GgufExportType.F16, 2e-2)]
    public void Gguf_export_loads_with_LoadGguf_and_carries_the_tokenizer(string kind, GgufExportType type, double tolerance)
    {
        var (run, oracle, basePath) = runs.Get(kind);
        var path = Path.Combine(TestAssets.NewTempDir(kind + type), "model.gguf");
        var result = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Gguf, Output = path, GgufType = type });
        Assert.Equal([path], result.Files);
        using (var gguf = GgufFile.Open(path))
        {
            Assert.Equal("llama", gguf.Metadata["general.architecture"]);
            Assert.Equal("llama", gguf.Metadata["tokenizer.ggml.model"]);
            Assert.Equal(512, ((string[])gguf.Metadata["tokenizer.ggml.tokens"]).Length);
            Assert.Equal(1u, gguf.Metadata["tokenizer.ggml.bos_token_id"]);
            Assert.Equal(2u, gguf.Metadata["tokenizer.ggml.eos_token_id"]);
            Assert.Equal(kind.StartsWith("hf", StringComparison.Ordinal), gguf.Metadata.ContainsKey("tokenizer.chat_template"));
            Assert.Equal(type == GgufExportType.F16 ? GgmlType.F16 : GgmlType.F32, gguf.GetTensor("blk.0.attn_q.weight").Type);
            Assert.Equal(GgmlType.F32, gguf.GetTensor("blk.0.attn_norm.weight").Type);
            Assert.Equal([64L, 512], gguf.GetTensor("token_embd.weight").Shape);
        }

        using var loaded = LlamaModel.LoadGguf(path);
        double diff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(loaded));
        output.WriteLine($"{kind} {type}: GGUF (LoadGguf) vs trainer: max |Δ log p| {diff:E2}");
        Assert.True(diff < tolerance, $"{diff}");

        var text = "Once upon a time, Lily saw a big red ball.";
        var expected = TokenizerLoader.Load(Directory.Exists(basePath) ? basePath : ModelPaths.FindTokenizer(basePath)).Encode(text, addBos: true);
        Assert.Equal(expected, TokenizerLoader.Load(path).Encode(text, addBos: true));
    }

    /// <summary>
    /// A LoRA run with modules to save (embed_tokens and lm_head trained in full; one shared matrix on the tied llama2.c
    /// base, two on the untied one): the adapter holds them under PEFT's keys, and the adapter applied at run time, the
    /// merged folder and the GGUF all give the trainer's log-probabilities.
    /// </summary>
    [Theory]
    [InlineData("llama2c-lora-saved", true)]
    [InlineData("untied-lora-saved", false)]
    public void Modules_to_save_export_in_peft_layout_and_every_form_gives_the_trainers_log_probs(string kind, bool tied)
    {
        var (run, oracle, basePath) = runs.Get(kind);
        var adapter = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Adapter, Output = Out(kind) });
        using (var st = SafetensorsFile.Open(Path.Combine(adapter.Path, "adapter_model.safetensors")))
        {
            var embed = st.Tensors.Single(t => t.Name == "base_model.model.model.embed_tokens.modules_to_save.weight");
            var head = st.Tensors.Single(t => t.Name == "base_model.model.lm_head.modules_to_save.weight");
            Assert.Equal([512L, 64], embed.Shape);
            Assert.Equal([512L, 64], head.Shape);
            Assert.Equal(5 * 7 * 2 + 2, st.Tensors.Count);
            Assert.Equal(tied, st.ReadF32(embed.Name).SequenceEqual(st.ReadF32(head.Name)));
        }

        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(adapter.Path, "adapter_config.json")))!;
        Assert.Equal(["embed_tokens", "lm_head"], config["modules_to_save"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(tied, config["ensure_weight_tying"] is { } e && (bool)e);

        using var baseModel = LlamaModel.Load(basePath);
        using var atRunTime = AdapterLoader.Load(basePath, adapter.Path);
        Assert.Equal(tied, atRunTime.Config.TiedEmbeddings);
        Assert.True(ExportFixture.MaxDiff(baseModel.Weights.TokenEmbedding.Span, atRunTime.Weights.TokenEmbedding.Span) > 1e-3, "the embedding did not train");
        double adapterDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(atRunTime));

        var merged = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Merged, Output = Out(kind + "-m") });
        using var mergedModel = LlamaModel.LoadHf(merged.Path);
        Assert.Equal(tied, mergedModel.Config.TiedEmbeddings);
        double mergedDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(mergedModel));

        var ggufPath = Path.Combine(TestAssets.NewTempDir(kind + "-g"), "model.gguf");
        Exporter.Export(run, new ExportOptions { Format = ExportFormat.Gguf, Output = ggufPath });
        using var ggufModel = LlamaModel.LoadGguf(ggufPath);
        double ggufDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(ggufModel));
        double moved = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(baseModel));
        output.WriteLine($"{kind}: adapter {adapterDiff:E2}, merged {mergedDiff:E2}, gguf {ggufDiff:E2}; base vs trainer {moved:E2}");
        Assert.True(adapterDiff < Tolerance, $"adapter {adapterDiff}");
        Assert.True(mergedDiff < Tolerance, $"merged {mergedDiff}");
        Assert.True(ggufDiff < Tolerance, $"gguf {ggufDiff}");
        Assert.True(moved > 100 * Tolerance, $"training changed too little to test: {moved}");

        // The logits themselves agree between the adapter applied at run time, the merged folder and the GGUF.
        var logits = ExportFixture.Logits(atRunTime);
        Assert.True(ExportFixture.MaxDiff(logits, ExportFixture.Logits(mergedModel)) < Tolerance);
        Assert.True(ExportFixture.MaxDiff(logits, ExportFixture.Logits(ggufModel)) < Tolerance);
    }

    /// <summary>
    /// A LoRA run with trainable tokens (PEFT's trainable_token_indices): the adapter lists the ids and holds their rows
    /// under PEFT's keys (the embedding's only on the tied llama2.c base; the head's too on the untied one); the adapter
    /// applied at run time, the merged folder and the GGUF give the trainer's log-probabilities, every other row is the
    /// base's bit for bit, and a llama.cpp LoRA adapter, which cannot hold rows, is refused.
    /// </summary>
    [Theory]
    [InlineData("llama2c-lora-tokens", true)]
    [InlineData("untied-lora-tokens", false)]
    public void Trainable_tokens_export_in_peft_layout_and_every_form_gives_the_trainers_log_probs(string kind, bool tied)
    {
        var (run, oracle, basePath) = runs.Get(kind);
        int[] ids = [12, 258, 411];
        var adapter = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Adapter, Output = Out(kind) });
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(adapter.Path, "adapter_config.json")))!;
        var listed = config["trainable_token_indices"]!.AsObject();
        Assert.Equal(tied ? ["embed_tokens"] : ["embed_tokens", "lm_head"], listed.Select(kv => kv.Key));
        Assert.All(listed, kv => Assert.Equal(ids, kv.Value!.AsArray().Select(x => (int)x!)));
        using (var st = SafetensorsFile.Open(Path.Combine(adapter.Path, "adapter_model.safetensors")))
        {
            var rows = st.Tensors.Where(t => t.Name.EndsWith("token_adapter.trainable_tokens_delta", StringComparison.Ordinal)).ToList();
            Assert.Equal(tied ? 1 : 2, rows.Count);
            Assert.All(rows, t => Assert.Equal([3L, 64], t.Shape));
        }

        using var baseModel = LlamaModel.Load(basePath);
        using var atRunTime = AdapterLoader.Load(basePath, adapter.Path);
        Assert.Equal(tied, atRunTime.Config.TiedEmbeddings);
        int dim = baseModel.Config.Dim;
        var before = baseModel.Weights.Classifier.Span.ToArray();
        var after = atRunTime.Weights.Classifier.Span.ToArray();
        for (int v = 0; v < baseModel.Config.VocabSize; v++)
        {
            bool same = before.AsSpan(v * dim, dim).SequenceEqual(after.AsSpan(v * dim, dim));
            Assert.True(ids.Contains(v) ? !same : same, $"head row {v}");
        }

        double adapterDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(atRunTime));
        var merged = Exporter.Export(run, new ExportOptions { Format = ExportFormat.Merged, Output = Out(kind + "-m") });
        using var mergedModel = LlamaModel.LoadHf(merged.Path);
        double mergedDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(mergedModel));
        var ggufPath = Path.Combine(TestAssets.NewTempDir(kind + "-g"), "model.gguf");
        Exporter.Export(run, new ExportOptions { Format = ExportFormat.Gguf, Output = ggufPath });
        using var ggufModel = LlamaModel.LoadGguf(ggufPath);
        double ggufDiff = ExportFixture.MaxDiff(oracle, ExportFixture.SessionLogProbs(ggufModel));
        output.WriteLine($"{kind}: adapter {adapterDiff:E2}, merged {mergedDiff:E2}, gguf {ggufDiff:E2}");
        Assert.True(adapterDiff < Tolerance, $"adapter {adapterDiff}");
        Assert.True(mergedDiff < Tolerance, $"merged {mergedDiff}");
        Assert.True(ggufDiff < Tolerance, $"gguf {ggufDiff}");

        var refused = Assert.Throws<TrainingException>(() => Exporter.Export(run, new ExportOptions { Format = ExportFormat.GgufLora, Output = Path.Combine(TestAssets.NewTempDir(kind + "-gl"), "a.gguf") }));
        Assert.Contains("token rows", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_run_has_no_adapter_and_an_existing_output_needs_force()
    {
        var ex = Assert.Throws<TrainingException>(() => Exporter.Export(runs.HfFull, new ExportOptions { Format = ExportFormat.Adapter, Output = Out("full-adapter") }));
        Assert.Contains("full fine-tuning", ex.Message, StringComparison.Ordinal);

        var target = Out("force");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine");
        var exists = Assert.Throws<TrainingException>(() => Exporter.Export(runs.HfLora, new ExportOptions { Format = ExportFormat.Adapter, Output = target }));
        Assert.Contains("--force", exists.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(target, "keep.txt")));
        Exporter.Export(runs.HfLora, new ExportOptions { Format = ExportFormat.Adapter, Output = target, Force = true });
        Assert.False(File.Exists(Path.Combine(target, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(target, "adapter_config.json")));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetDirectoryName(target)!), d => Path.GetFileName(d).StartsWith('.'));

        Assert.Throws<TrainingException>(() => Exporter.Export(Path.Combine(runs.Dir, "nope"), new ExportOptions()));
    }

    [Fact]
    public void An_earlier_kept_checkpoint_is_exported_by_its_epoch_and_a_missing_one_is_named()
    {
        // A copy of the run with a second kept checkpoint (epoch 2, a copy of epoch 1's files).
        var copy = Path.Combine(TestAssets.NewTempDir("epoch-export"), "run");
        CopyTree(runs.HfLora, copy);
        CopyTree(Path.Combine(copy, "checkpoints", "epoch-0001"), Path.Combine(copy, "checkpoints", "epoch-0002"));

        var newest = Exporter.Export(copy, new ExportOptions { Format = ExportFormat.Adapter, Output = Out("newest") });
        Assert.Equal("epoch-0002", Path.GetFileName(newest.Checkpoint));
        var first = Exporter.Export(copy, new ExportOptions { Format = ExportFormat.Adapter, Output = Out("first"), Epoch = 1 });
        Assert.Equal("epoch-0001", Path.GetFileName(first.Checkpoint));
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(newest.Path, "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(first.Path, "adapter_model.safetensors")));

        var missing = Assert.Throws<TrainingException>(() => Exporter.Export(copy, new ExportOptions { Format = ExportFormat.Adapter, Output = Out("missing"), Epoch = 7 }));
        Assert.Contains("no kept checkpoint of epoch 7", missing.Message, StringComparison.Ordinal);
        Assert.Contains("1, 2", missing.Message, StringComparison.Ordinal);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
