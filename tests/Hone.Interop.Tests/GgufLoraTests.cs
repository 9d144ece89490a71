using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Tokenizers;
using Hone.Training;
using Hone.Training.Export;
using Xunit.Abstractions;

namespace Hone.Interop.Tests;

/// <summary>
/// `hone export --format gguf-lora`: the adapter of a real LoRA run, loaded by llama.cpp's adapter loading over the base
/// model's GGUF, gives the merged model's greedy tokens and logits (the merged model exported as GGUF, also in llama.cpp).
/// </summary>
public class GgufLoraTests(StoriesRun stories, ITestOutputHelper output) : IClassFixture<StoriesRun>
{
    [Theory]
    [InlineData(GgufExportType.F32, 1e-4)]
    [InlineData(GgufExportType.F16, 1e-2)]
    public void The_adapter_over_the_base_gives_the_merged_models_tokens_in_llama_cpp(GgufExportType type, double tolerance)
    {
        var adapter = stories.Export($"adapter-{type}.gguf", new ExportOptions { Format = ExportFormat.GgufLora, GgufType = type });
        var merged = stories.Export("merged-F32.gguf", new ExportOptions { Format = ExportFormat.Gguf });
        Assert.Equal(ExportFormat.GgufLora, adapter.Format);
        Assert.Equal([adapter.Path], adapter.Files);
        using (var g = GgufFile.Open(adapter.Path))
        {
            Assert.Equal("adapter", g.Metadata["general.type"]);
            Assert.Equal("lora", g.Metadata["adapter.type"]);
            Assert.Equal("llama", g.Metadata["general.architecture"]);
            Assert.Equal(8f, g.Metadata["adapter.lora.alpha"]);
            Assert.Equal([64L, 4], g.GetTensor("blk.0.attn_q.weight.lora_a").Shape);
            Assert.Equal([4L, 64], g.GetTensor("blk.0.attn_q.weight.lora_b").Shape);
            Assert.Equal([4L, 64], g.GetTensor("blk.4.ffn_down.weight.lora_b").Shape);
            Assert.Equal(5 * 7 * 2, g.Tensors.Count);
        }

        var ids = TokenizerLoader.Load(stories.BaseGguf).Encode(LlamaCppAgreementTests.Text, addBos: true)[..LlamaCppAgreementTests.Positions];
        var prompt = ids[..LlamaCppAgreementTests.PromptLength];
        const int steps = LlamaCppAgreementTests.Steps;

        float[] mergedLogits, adaptedLogits, baseLogits;
        int[] mergedGreedy, adaptedGreedy;
        using (var cpp = LlamaCpp.Load(merged.Path))
        using (var ctx = cpp.CreateContext(128))
        {
            mergedLogits = ctx.AllLogits(ids);
            mergedGreedy = ctx.Greedy(prompt, steps);
        }

        using (var cpp = LlamaCpp.Load(stories.BaseGguf))
        {
            var lora = cpp.LoadAdapter(adapter.Path);
            using (var ctx = cpp.CreateContext(128, [(lora, 1f)]))
            {
                adaptedLogits = ctx.AllLogits(ids);
                adaptedGreedy = ctx.Greedy(prompt, steps);
            }

            using var plain = cpp.CreateContext(128);
            baseLogits = plain.AllLogits(ids);
        }

        // Hone's own forward pass over the merged GGUF, for scale.
        using var hone = LlamaModel.LoadGguf(merged.Path);
        var honeLogits = new float[ids.Length * hone.Config.VocabSize];
        using (var s = hone.CreateSession(maxContext: 128, cacheType: KvCacheType.F32)) s.Forward(ids, honeLogits);

        double diff = LlamaCppAgreementTests.MaxAbsDiff(adaptedLogits, mergedLogits);
        double moved = LlamaCppAgreementTests.MaxAbsDiff(baseLogits, mergedLogits);
        double vsHone = LlamaCppAgreementTests.MaxAbsDiff(adaptedLogits, honeLogits);
        output.WriteLine($"gguf-lora {type}: adapter over base vs merged GGUF (both llama.cpp): max |Δ logit| {diff:E2}; vs Hone's merged forward {vsHone:E2}; " +
                         $"base without adapter vs merged {moved:E2}; greedy {steps} same: {adaptedGreedy.SequenceEqual(mergedGreedy)}");
        output.WriteLine($"  merged  [{string.Join(' ', mergedGreedy)}]");
        output.WriteLine($"  adapter [{string.Join(' ', adaptedGreedy)}]");
        Assert.Equal(mergedGreedy, adaptedGreedy);
        Assert.True(diff < tolerance, $"{diff}");
        Assert.True(vsHone < tolerance, $"{vsHone}");
        Assert.True(moved > 100 * LlamaCppAgreementTests.F32Tolerance, $"the adapter changes too little to test: {moved}");
    }

    [Fact]
    public void A_full_run_has_no_gguf_adapter()
    {
        var run = Path.Combine(stories.Dir, "full");
        var (full, _) = Hone.Training.Tests.Export.ExportFixture.Train(run, Hone.Training.Tests.Export.ExportFixture.Llama2cBase, lora: false);
        var ex = Assert.Throws<TrainingException>(() => Exporter.Export(full, new ExportOptions { Format = ExportFormat.GgufLora }));
        Assert.Contains("full fine-tuning", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(full, "exports")));
    }
}
