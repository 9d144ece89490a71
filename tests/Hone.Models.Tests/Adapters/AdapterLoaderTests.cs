using Hone.Models.Adapters;
using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Testing;

namespace Hone.Models.Tests.Adapters;

public class AdapterLoaderTests
{
    private static PeftAdapter Random(LlamaConfig c, int rank, int seed, bool rs = false)
    {
        var rng = new Random(seed);
        float[] R(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1) * 0.3f)];
        var pairs = new List<LoraPair>();
        for (int l = 0; l < c.Layers; l++)
            foreach (var m in new[] { "q_proj", "k_proj", "down_proj" })
            {
                var (o, i) = PeftAdapter.ModuleShape(c, m);
                pairs.Add(new LoraPair(l, m, R(rank * i), R(o * rank)));
            }
        return new PeftAdapter { Rank = rank, Alpha = 6, UseRsLora = rs, TargetModules = ["q_proj", "k_proj", "down_proj"], Pairs = pairs };
    }

    /// <summary>
    /// Modules to save are written the way PEFT saves them (keys base_model.model.model.embed_tokens.modules_to_save.weight
    /// and base_model.model.lm_head.modules_to_save.weight, modules_to_save in adapter_config.json) and replace the
    /// base's rows on load. On a tied base, ensure_weight_tying (or equal tensors) keeps the model tied; an embedding saved
    /// alone, without it, unties the model as PEFT's separate wrapper does: the head keeps the base's rows.
    /// </summary>
    [Fact]
    public void Modules_to_save_round_trip_in_the_peft_layout_and_keep_or_break_the_tie_as_peft_does()
    {
        var c = TinyModels.Config("qwen2-bias-tied");
        using var model = TinyModels.Create(c, seed: 1);
        var rng = new Random(3);
        var trained = new SavedModule(c.VocabSize, c.Dim, [.. Enumerable.Range(0, c.VocabSize * c.Dim).Select(_ => (float)rng.NextDouble())]);
        var tied = Random(c, 2, seed: 2) with
        {
            SavedModules = new Dictionary<string, SavedModule> { ["embed_tokens"] = trained, ["lm_head"] = trained },
            EnsureWeightTying = true,
        };
        var dir = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(tied, dir);
        using (var st = Hone.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(dir, PeftAdapterFiles.WeightsFile)))
        {
            Assert.Contains(st.Tensors, t => t.Name == "base_model.model.model.embed_tokens.modules_to_save.weight" && t.Shape.SequenceEqual([(long)c.VocabSize, c.Dim]));
            Assert.Contains(st.Tensors, t => t.Name == "base_model.model.lm_head.modules_to_save.weight" && t.Shape.SequenceEqual([(long)c.VocabSize, c.Dim]));
        }

        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapterFiles.ConfigFile)))!;
        Assert.Equal(["embed_tokens", "lm_head"], config["modules_to_save"]!.AsArray().Select(x => (string)x!));
        Assert.True((bool)config["ensure_weight_tying"]!);
        var back = PeftAdapterFiles.Read(dir);
        Assert.Equal(["embed_tokens", "lm_head"], back.ModulesToSave);
        Assert.True(back.EnsureWeightTying);
        using (var merged = AdapterLoader.Apply(model, back))
        {
            Assert.True(merged.Config.TiedEmbeddings);
            Assert.Equal(trained.Values, merged.Weights.TokenEmbedding.Span.ToArray());
        }

        // The embedding alone, without ensure_weight_tying: input rows trained, output rows the base's, so untied.
        var alone = tied with { SavedModules = new Dictionary<string, SavedModule> { ["embed_tokens"] = trained }, EnsureWeightTying = false };
        var dir2 = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(alone, dir2);
        Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir2, PeftAdapterFiles.ConfigFile)))!["ensure_weight_tying"]);
        using (var untied = AdapterLoader.Apply(model, PeftAdapterFiles.Read(dir2)))
        {
            Assert.False(untied.Config.TiedEmbeddings);
            Assert.Equal(trained.Values, untied.Weights.TokenEmbedding.Span.ToArray());
            Assert.Equal(model.Weights.Classifier.Span.ToArray(), untied.Weights.Classifier.Span.ToArray());
        }

        // A saved module the config does not list, or of the wrong shape, is refused.
        var wrong = tied with { SavedModules = new Dictionary<string, SavedModule> { ["lm_head"] = new SavedModule(c.VocabSize - 1, c.Dim, new float[(c.VocabSize - 1) * c.Dim]) } };
        var dir3 = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(wrong, dir3);
        Assert.Contains("needs [", Assert.Throws<ModelLoadException>(() => AdapterLoader.Apply(model, PeftAdapterFiles.Read(dir3))).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir3, PeftAdapterFiles.ConfigFile),
            File.ReadAllText(Path.Combine(dir3, PeftAdapterFiles.ConfigFile)).Replace("\"lm_head\"", "\"embed_tokens\"", StringComparison.Ordinal));
        Assert.Contains("modules_to_save does not list", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir3)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Written_adapter_reads_back_and_merges_W_plus_scaled_BA(bool rs)
    {
        var c = TinyModels.Config("llama-gqa-half-untied");
        using var model = TinyModels.Create(c, seed: 1);
        var adapter = Random(c, 3, seed: 2, rs);
        var dir = TestAssets.NewTempDir();
        PeftAdapterFiles.Write(adapter, dir);
        var back = PeftAdapterFiles.Read(dir);
        Assert.Equal(adapter.Pairs.Count, back.Pairs.Count);
        Assert.Equal(rs ? 6 / MathF.Sqrt(3) : 2f, back.Scale, 6);
        using var merged = AdapterLoader.Apply(model, back);
        var p = back.Pairs.First(x => x.Layer == 1 && x.Module == "down_proj");
        var (outputs, inputs) = PeftAdapter.ModuleShape(c, "down_proj");
        var w0 = model.Weights.Arena[PeftAdapter.WeightName(1, "down_proj")].Span;
        var w1 = merged.Weights.Arena[PeftAdapter.WeightName(1, "down_proj")].Span;
        for (int o = 0; o < outputs; o += 5)
            for (int i = 0; i < inputs; i += 7)
            {
                double ba = 0;
                for (int r = 0; r < 3; r++) ba += p.B[(o * 3) + r] * p.A[(r * inputs) + i];
                Assert.Equal(w0[(o * inputs) + i] + (back.Scale * ba), w1[(o * inputs) + i], 5);
            }
        Assert.Equal(model.Weights.Arena["model.layers.0.self_attn.v_proj.weight"].Span.ToArray(), merged.Weights.Arena["model.layers.0.self_attn.v_proj.weight"].Span.ToArray());
    }

    [Fact]
    public void Hostile_or_mismatched_adapters_are_clear_errors()
    {
        var c = TinyModels.Config("llama-gqa-half-untied");
        using var model = TinyModels.Create(c, seed: 1);
        var dir = TestAssets.NewTempDir();
        Assert.Contains("adapter_config.json", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
        PeftAdapterFiles.Write(Random(c, 2, 3), dir);
        var config = Path.Combine(dir, PeftAdapterFiles.ConfigFile);
        var good = File.ReadAllText(config);
        File.WriteAllText(config, good.Replace("\"LORA\"", "\"IA3\"", StringComparison.Ordinal));
        Assert.Contains("peft_type", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(config, good.Replace("\"use_dora\": false", "\"use_dora\": true", StringComparison.Ordinal));
        Assert.Contains("DoRA", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(config, good.Replace("\"r\": 2", "\"r\": 5", StringComparison.Ordinal));
        Assert.Contains("r = 5", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
        File.WriteAllText(config, good);
        var other = TinyModels.Config("qwen3-qknorm-headdim");
        using var otherModel = TinyModels.Create(other, seed: 1);
        var ex = Assert.Throws<ModelLoadException>(() => AdapterLoader.Apply(otherModel, PeftAdapterFiles.Read(dir)));
        Assert.Contains("another model", ex.Message, StringComparison.Ordinal);
        File.WriteAllText(config, "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<ModelLoadException>(() => PeftAdapterFiles.Read(dir)).Message, StringComparison.Ordinal);
    }
}
