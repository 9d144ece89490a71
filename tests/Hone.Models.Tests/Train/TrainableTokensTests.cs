using Hone.Models.Adapters;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Testing;
using Xunit;

namespace Hone.Models.Tests.Train;

/// <summary>
/// LoRA's trainable tokens (PEFT's trainable_token_indices): the chosen rows of the embedding (and of an untied head)
/// get the gradients of their uses, every other row stays the base's bit for bit, and the rows travel with the adapter
/// (save, load, merge) to the same weights the trainer's merge gives.
/// </summary>
public sealed class TrainableTokensTests
{
    private static readonly string EmbedRows = PeftAdapter.TokenRowsName("embed_tokens");
    private static readonly string HeadRows = PeftAdapter.TokenRowsName("lm_head");

    private static LoraOptions Options(params int[] ids) =>
        new() { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "down_proj"], Seed = 9, TrainableTokenIndices = ids };

    /// <summary>Ids of the test batch: two of its input tokens (one repeated in the list) and one it never holds.</summary>
    private static int[] Ids(TokenBatch batch, int vocab)
    {
        var used = batch.Tokens.Where((t, i) => batch.SegmentIds[i] >= 0).Distinct().Order().ToArray();
        int unused = Enumerable.Range(0, vocab).First(v => !used.Contains(v));
        return [used[^1], used[0], unused, used[0]];
    }

    private static double Loss(LlamaTrainer trainer, TokenBatch batch, float[] coef)
    {
        var lp = new float[coef.Length];
        trainer.Forward(batch, lp, new bool[coef.Length]);
        return Enumerable.Range(0, coef.Length).Sum(i => (double)coef[i] * lp[i]);
    }

    [Theory]
    [InlineData("llama-gqa-half-untied")]
    [InlineData("qwen2-bias-tied")]
    [InlineData("mha-interleaved-tied")]
    public void Row_gradients_equal_finite_differences(string variant)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 5);
        var batch = TinyModels.Batch(c.VocabSize, seed: 2);
        var ids = Ids(batch, c.VocabSize);
        using var trainer = new LlamaTrainer(model, 3, 8, Options(ids)); // room for more than the batch: only its positions count
        TinyModels.RandomizeLoraB(trainer, seed: 3);
        var rows = trainer.Parameters.Where(p => p.Name.Contains("trainable_tokens", StringComparison.Ordinal)).ToList();
        Assert.Equal(c.TiedEmbeddings ? [EmbedRows] : [EmbedRows, HeadRows], rows.Select(p => p.Name));
        Assert.All(rows, p => Assert.Equal([3, c.Dim], p.Value.Shape.ToArray())); // ids without repeats
        Assert.All(rows, p => Assert.False(p.WeightDecay));

        var rng = new Random(7);
        var coef = batch.Targets.Select(t => t < 0 ? 0f : (float)((rng.NextDouble() * 2) - 1)).ToArray();
        trainer.ZeroGrad();
        Loss(trainer, batch, coef);
        trainer.Backward(coef);
        const float h = 1e-2f;
        foreach (var p in rows)
        {
            var grad = p.Grad.Span.ToArray();
            Assert.Contains(grad, g => g != 0);
            for (int i = 0; i < grad.Length; i += 3)
            {
                float keep = p.Value.Span[i];
                p.Value.Span[i] = keep + h;
                double up = Loss(trainer, batch, coef);
                p.Value.Span[i] = keep - h;
                double down = Loss(trainer, batch, coef);
                p.Value.Span[i] = keep;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - grad[i]) <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"{p.Name}[{i}]: analytic {grad[i]}, numeric {numeric}");
            }
        }

        // The embedding rows of a token the batch never holds get no gradient from the input side (untied: none at all).
        if (!c.TiedEmbeddings)
        {
            int slot = Array.IndexOf(ids.Distinct().Order().ToArray(), ids[2]);
            Assert.All(rows[0].Grad.Span.Slice(slot * c.Dim, c.Dim).ToArray(), g => Assert.Equal(0f, g));
        }
    }

    [Theory]
    [InlineData("llama-gqa-half-untied")]
    [InlineData("qwen2-bias-tied")]
    public void Rows_start_at_the_base_and_only_listed_rows_change_in_the_merge_and_the_adapter(string variant)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 2);
        var batch = TinyModels.Batch(c.VocabSize, seed: 6);
        int n = batch.Tokens.Length;
        var baseEmbed = model.Weights.TokenEmbedding.Span.ToArray();
        var baseHead = model.Weights.Classifier.Span.ToArray();
        var baseLp = TinyModels.LogProbs(model, batch);
        int[] ids = [c.VocabSize - 1, 1, 4];
        var options = Options(ids);
        using var lora = new LlamaTrainer(model, 2, 7, options);
        var rows = lora.Parameters.Where(p => p.Name.Contains("trainable_tokens", StringComparison.Ordinal)).ToList();
        int[] sorted = [1, 4, c.VocabSize - 1];
        for (int s = 0; s < sorted.Length; s++)
        {
            Assert.Equal(baseEmbed.AsSpan(sorted[s] * c.Dim, c.Dim).ToArray(), rows[0].Value.Span.Slice(s * c.Dim, c.Dim).ToArray());
        }

        var lp = new float[n];
        lora.Forward(batch, lp, new bool[n]);
        Assert.Equal(baseLp, lp); // rows equal to the base's, B zero: the base's forward

        // Move the rows and the adapters: the adapter forward changes, the base forward (adapters off) does not.
        TinyModels.RandomizeLoraB(lora, seed: 3);
        var adapted = TinyModels.MoveAndCheckAdaptersOff(lora, batch, baseLp, rows);
        Assert.Equal(baseEmbed, model.Weights.TokenEmbedding.Span.ToArray()); // the base is never written

        using var mergedWeights = lora.MergedWeights();
        Assert.Equal(c.TiedEmbeddings, mergedWeights.Config.TiedEmbeddings);
        AssertRows(baseEmbed, mergedWeights.TokenEmbedding.Span.ToArray(), rows[0].Value.Span.ToArray(), sorted, c.Dim);
        AssertRows(baseHead, mergedWeights.Classifier.Span.ToArray(), rows[^1].Value.Span.ToArray(), sorted, c.Dim);

        // The merge's plain forward is the adapter forward.
        using var merged = new LlamaModel(mergedWeights);
        TinyModels.AssertForwardIs(merged, batch, adapted);

        // Saved as PEFT does, read back, applied to the base: the trainer's merge, bit for bit.
        var adapter = ToAdapter(lora, c, sorted);
        var dir = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(adapter, dir);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapterFiles.ConfigFile)))!;
        Assert.Equal(sorted, config["trainable_token_indices"]!["embed_tokens"]!.AsArray().Select(x => (int)x!));
        var back = PeftAdapterFiles.Read(dir);
        Assert.Equal(adapter.TrainableTokens.Keys.Order(), back.TrainableTokens.Keys.Order());
        foreach (var (module, r) in adapter.TrainableTokens)
        {
            Assert.Equal(r.Indices, back.TrainableTokens[module].Indices);
            Assert.Equal(r.Values, back.TrainableTokens[module].Values);
        }

        using var applied = AdapterLoader.Apply(model, back);
        Assert.Equal(c.TiedEmbeddings, applied.Config.TiedEmbeddings);
        foreach (var (name, _) in LlamaWeights.Manifest(merged.Config))
        {
            Assert.True(merged.Weights.Arena[name].Span.SequenceEqual(applied.Weights.Arena[name].Span), $"{name} differs between the trainer's merge and the adapter's");
        }
    }

    [Fact]
    public void Options_and_adapter_files_refuse_what_does_not_fit()
    {
        var c = TinyModels.Config("llama-gqa-half-untied");
        using var model = TinyModels.Create(c, seed: 2);
        var e = Assert.Throws<LoraOptionsException>(() => new LlamaTrainer(model, 2, 7, Options(1, c.VocabSize)));
        Assert.Equal(Hone.Core.ErrorKind.Input, e.Kind);
        Assert.Contains($"{c.VocabSize}", e.Message, StringComparison.Ordinal);
        Assert.Throws<LoraOptionsException>(() => Options(-1).ResolveTargets());
        Assert.Throws<LoraOptionsException>(() => (Options(2) with { ModulesToSave = ["lm_head"] }).ResolveTargets());
        Assert.Empty(Options().ResolveTrainableTokens(c.VocabSize));

        using var lora = new LlamaTrainer(model, 2, 7, Options(2, 3));
        var adapter = ToAdapter(lora, c, [2, 3]);
        var dir = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(adapter, dir);

        // A list (PEFT's short form) means the embedding's rows.
        var configPath = Path.Combine(dir, PeftAdapterFiles.ConfigFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json["trainable_token_indices"] = new System.Text.Json.Nodes.JsonArray(2, 3);
        File.WriteAllText(configPath, json.ToJsonString());
        Assert.Contains("trainable_token_indices does not list", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);

        // One id fewer than the stored rows; an id outside the base's vocabulary.
        json["trainable_token_indices"] = System.Text.Json.Nodes.JsonNode.Parse("""{"embed_tokens": [2], "lm_head": [2, 3]}""");
        File.WriteAllText(configPath, json.ToJsonString());
        Assert.Contains("one row per id", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
        var outside = adapter with
        {
            TrainableTokens = adapter.TrainableTokens.ToDictionary(kv => kv.Key, kv => kv.Value with { Indices = [2, c.VocabSize] }),
        };
        Assert.Contains("outside the base model's vocabulary", Assert.Throws<ModelLoadException>(() => AdapterLoader.Apply(model, outside)).Message, StringComparison.Ordinal);
    }

    /// <summary>Every row outside <paramref name="ids"/> is the base's, bit for bit; row ids[s] is trained row s.</summary>
    private static void AssertRows(float[] baseRows, float[] merged, float[] trained, int[] ids, int dim)
    {
        for (int v = 0; v < baseRows.Length / dim; v++)
        {
            int s = Array.IndexOf(ids, v);
            var expected = s >= 0 ? trained.AsSpan(s * dim, dim) : baseRows.AsSpan(v * dim, dim);
            Assert.True(expected.SequenceEqual(merged.AsSpan(v * dim, dim)), $"row {v}");
        }
    }

    /// <summary>The trainer's adapter as the exporter builds it (B rows put in Hugging Face order).</summary>
    private static PeftAdapter ToAdapter(LlamaTrainer trainer, LlamaConfig c, int[] ids)
    {
        var p = trainer.Parameters.ToDictionary(x => x.Name, x => x.Value.Span.ToArray(), StringComparer.Ordinal);
        var pairs = new List<LoraPair>();
        for (int l = 0; l < c.Layers; l++)
        {
            foreach (var m in new[] { "q_proj", "down_proj" })
            {
                pairs.Add(new LoraPair(l, m, p[LlamaTrainer.LoraName(l, m, "A")], AdapterLoader.ToHfRowOrder(c, m, p[LlamaTrainer.LoraName(l, m, "B")], 2)));
            }
        }

        var tokens = new Dictionary<string, TokenRows> { ["embed_tokens"] = new TokenRows(ids, c.Dim, p[EmbedRows]) };
        if (!c.TiedEmbeddings) tokens["lm_head"] = new TokenRows(ids, c.Dim, p[HeadRows]);
        return new PeftAdapter { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "down_proj"], Pairs = pairs, TrainableTokens = tokens };
    }
}
