using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Training.Batching;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests.Export;

/// <summary>
/// Real run folders for the export tests: stories260K (llama2.c, interleaved RoPE; or its HF twin with the tokenizer
/// beside it) trained for one epoch of a few examples by SftTrainer through LlamaTrainer (LoRA on all linear layers, or
/// full), with the run.json `hone train sft` writes. Also returns the oracle: the tuned model's log-probabilities.
/// </summary>
internal static class ExportFixture
{
    public static readonly int[] Probe = [1, 403, 261, 12, 300, 411, 7, 99, 258, 400, 33, 2];

    public static string Llama2cBase => TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>stories260K-hf with tok512.bin copied in as tokenizer.bin and a tokenizer_config.json with a chat template.</summary>
    public static string HfBase(string dir)
    {
        var folder = Path.Combine(dir, "base-hf");
        Directory.CreateDirectory(folder);
        foreach (var f in new[] { "config.json", "model.safetensors" })
            File.Copy(TestAssets.Path("models", "stories260K-hf", f), Path.Combine(folder, f));
        File.Copy(TestAssets.Path("models", "stories260K", "tok512.bin"), Path.Combine(folder, "tokenizer.bin"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}", "add_bos_token": true}""");
        return folder;
    }

    public static LoraOptions Lora => new() { Rank = 4, Alpha = 8, TargetModules = ["all-linear"], Seed = 3 };

    /// <summary>
    /// An untied twin of stories260K-hf (tie_word_embeddings false, lm_head = the embedding plus small noise), written by
    /// the merged exporter with the base's tokenizer files.
    /// </summary>
    public static string UntiedHfBase(string dir, string hfBase)
    {
        var folder = Path.Combine(dir, "base-hf-untied");
        Directory.CreateDirectory(folder);
        using var tied = LlamaModel.LoadHf(hfBase);
        var rng = new Random(11);
        using var untied = LlamaWeights.Create(tied.Config with { TiedEmbeddings = false }, (name, t) =>
        {
            (name == "lm_head.weight" ? tied.Weights.Classifier : tied.Weights.Arena[name]).Span.CopyTo(t.Span);
            if (name != "lm_head.weight") return;
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] += (float)((rng.NextDouble() * 2) - 1) * 0.05f;
        });
        Hone.Training.Export.HfFolderExport.Write(untied, hfBase, null, folder);
        return folder;
    }

    /// <summary>Trains a run and returns its folder and the trainer's per-position log p(probe[t+1]) (the oracle).</summary>
    public static (string Run, float[] LogProbs) Train(string dir, string modelPath, bool lora, IReadOnlyList<string>? modulesToSave = null,
        IReadOnlyList<int>? trainableTokens = null)
    {
        var runPath = Path.Combine(dir, !lora ? "run-full" : trainableTokens is not null ? "run-lora-tokens" : modulesToSave is null ? "run-lora" : "run-lora-mts");
        var loraOptions = Lora with { ModulesToSave = modulesToSave ?? [], TrainableTokenIndices = trainableTokens ?? [] };
        using var model = LlamaModel.Load(modelPath);
        var options = new SftOptions
        {
            Method = lora ? TrainingMethod.Lora : TrainingMethod.Full,
            Epochs = 1, BatchSize = 2, MicroBatchSize = 2, SequenceLength = 16, EvalEvery = 0, Seed = 7,
            LearningRateMultiplier = lora ? 50 : 500, WarmupRatio = 0,
        };
        using var engine = new LlamaTrainer(model, 2, 16, lora ? loraOptions : null);
        var rng = new Random(5);
        var examples = Enumerable.Range(0, 4).Select(_ =>
        {
            var ids = Enumerable.Range(0, 10).Select(_ => rng.Next(3, 512)).ToArray();
            return new TokenizedExample(ids, [.. ids.Select((_, i) => i >= 4)]);
        }).ToList();
        var folder = new RunFolder(runPath);
        var optionsJson = new JsonObject
        {
            ["model"] = Path.GetFullPath(modelPath),
            ["tokenizer"] = null,
            ["trainer"] = JsonNode.Parse(options.ToJson()),
            ["lora"] = RunManifest.LoraToJson(loraOptions),
        }.ToJsonString();
        var sft = new SftTrainer(engine, options, examples, null, folder);
        folder.WriteManifest("sft", optionsJson, sft.Resolved, new Dictionary<string, string>(), Path.GetFullPath(modelPath), "test");
        sft.Run();
        return (runPath, TrainerLogProbs(engine));
    }

    /// <summary>log p(Probe[t+1] | Probe[..t]) under the trainer's own (adapter) forward pass.</summary>
    private static float[] TrainerLogProbs(LlamaTrainer engine)
    {
        var batch = new TokenBatch(1, Probe.Length);
        for (int t = 0; t < Probe.Length; t++)
        {
            batch.Tokens[t] = Probe[t];
            batch.Positions[t] = t;
            batch.SegmentIds[t] = 0;
            batch.Targets[t] = t + 1 < Probe.Length ? Probe[t + 1] : TokenBatch.IgnoreTarget;
        }

        var lp = new float[Probe.Length];
        engine.Forward(batch, lp, new bool[Probe.Length]);
        return lp[..^1];
    }

    /// <summary>The same log-probabilities from an inference session over <paramref name="model"/>.</summary>
    public static float[] SessionLogProbs(LlamaModel model)
    {
        using var s = model.CreateSession(blockSize: 4, cacheType: KvCacheType.F32); // compared with the trainer to 1e-4
        int v = model.Config.VocabSize;
        var logits = new float[Probe.Length * v];
        s.Forward(Probe, logits);
        var lp = new float[Probe.Length - 1];
        for (int t = 0; t < lp.Length; t++)
        {
            var row = logits.AsSpan(t * v, v);
            double max = double.NegativeInfinity;
            foreach (var x in row) max = Math.Max(max, x);
            double sum = 0;
            foreach (var x in row) sum += Math.Exp(x - max);
            lp[t] = (float)(row[Probe[t + 1]] - max - Math.Log(sum));
        }

        return lp;
    }

    public static float[] Logits(LlamaModel model)
    {
        using var s = model.CreateSession(blockSize: 4, cacheType: KvCacheType.F32); // compared with the trainer to 1e-4
        var logits = new float[Probe.Length * model.Config.VocabSize];
        s.Forward(Probe, logits);
        return logits;
    }

    public static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
