using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Models.Train;
using Hone.Reference.Tests.Reference;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Xunit.Abstractions;

namespace Hone.Reference.Tests;

/// <summary>
/// Hone's SFT and DPO gradients, taken from its own trainers on random small-shape weights, equal the independent
/// float64 reference (<see cref="ReferenceDecoder"/> on the autodiff tape) at every coordinate of every trained tensor,
/// for every architecture, with LoRA on every linear layer (and, on some, trained copies of the embedding and head beside
/// the adapters: modules to save) and with full fine-tuning; central finite differences
/// confirm the reference's own gradients on sampled coordinates of every tensor.
/// </summary>
public sealed class ObjectiveGradientTests(ITestOutputHelper output)
{
    /// <summary>Hone (float32) against the reference (float64): max |Δg| / max |g_ref| per tensor.</summary>
    private const double Tolerance = 1e-4;

    /// <summary>The reference against its own central differences, relative to the tensor's largest gradient.</summary>
    private const double FiniteDifferenceTolerance = 1e-6;

    /// <summary>Hone's reported loss against the reference's, relative.</summary>
    private const double LossTolerance = 1e-4;

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var arch in Architectures.Names)
        {
            foreach (var objective in new[] { "sft", "dpo" })
            {
                foreach (var method in new[] { "lora", "full" })
                {
                    data.Add(arch, objective, method);
                }
            }
        }

        return data;
    }

    [Fact]
    public void The_chat_data_trains_only_the_assistant_turns()
    {
        var examples = ChatData.SftExamples();
        var runs = examples.SelectMany(ChatData.TrainedRuns).ToList();
        Assert.Equal(ChatData.SftReplies.Select(r => r + "<|im_end|>"), runs);
        Assert.True(ChatData.Encoder.Tokenizer.VocabSize <= Architectures.Vocab);

        var pairs = ChatData.PreferencePairs();
        Assert.Equal(["blue.<|im_end|>"], ChatData.TrainedRuns(pairs[0].Chosen));
        Assert.Equal(["red, or blue.<|im_end|>"], ChatData.TrainedRuns(pairs[0].Rejected));
        Assert.Equal(["five.<|im_end|>"], ChatData.TrainedRuns(pairs[1].Chosen)); // the prompt's earlier "four." is not scored
        Assert.Equal(["four.<|im_end|>"], ChatData.TrainedRuns(pairs[1].Rejected));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hone_gradients_equal_the_reference(string arch, string objective, string method) =>
        Check(arch, objective, method == "lora" ? HoneRuns.Lora(Seed(arch) + 10) : null);

    /// <summary>
    /// LoRA with modules to save (PEFT's modules_to_save): the trained copies of the embedding and/or the head, moved off
    /// the base before the step so that reading the base instead would show, get the objective's gradients of their uses;
    /// on a tied model one shared copy gets both. DPO's frozen reference is the base (adapters off, copies unused).
    /// </summary>
    [Theory]
    [InlineData("llama3", "sft", "embed_tokens,lm_head")]
    [InlineData("llama3", "dpo", "embed_tokens,lm_head")]
    [InlineData("mistral", "sft", "lm_head")]
    [InlineData("mistral", "dpo", "lm_head")]
    [InlineData("smollm", "sft", "embed_tokens")]
    [InlineData("smollm", "dpo", "embed_tokens")]
    [InlineData("qwen2", "sft", "embed_tokens,lm_head")]
    [InlineData("qwen2", "dpo", "embed_tokens,lm_head")]
    public void Modules_to_save_gradients_equal_the_reference(string arch, string objective, string modules) =>
        Check(arch, objective, HoneRuns.Lora(Seed(arch) + 10) with { ModulesToSave = modules.Split(',') });

    private static int Seed(string arch) => Architectures.Names.ToList().IndexOf(arch) + 1;

    private void Check(string arch, string objective, LoraOptions? lora)
    {
        var c = Architectures.Config(arch);
        int seed = Seed(arch);
        string method = lora is null ? "full" : lora.ModulesToSave.Count > 0 ? $"lora + {string.Join(",", lora.ModulesToSave)}" : "lora";
        using var model = TinyModels.Create(c, seed);
        using var engine = new LlamaTrainer(model, 2, c.MaxSeqLen, lora);
        var saved = lora is null ? [] : SavedModules.Expected(c, lora.ModulesToSave);
        Assert.Equal(lora is null ? LlamaWeights.Manifest(c).Count : (2 * LoraOptions.AllLinear.Count * c.Layers) + saved.Length, engine.Parameters.Count);
        if (lora is not null)
        {
            TinyModels.RandomizeLoraB(engine, seed + 20);
            SavedModules.AssertAndPerturb(engine, saved, seed + 30);
        }

        var shapes = engine.Parameters.ToDictionary(p => p.Name, p => p.Value.Shape.ToArray(), StringComparer.Ordinal);
        var start = ReferenceWeights.Of(model); // before full fine-tuning changes the weights in place
        var policy = new ReferenceDecoder(c, lora);
        HoneStep hone;
        LossFunction loss;
        if (objective == "sft")
        {
            var examples = ChatData.SftExamples();
            hone = HoneRuns.Sft(engine, examples, packing: arch is "llama2" or "qwen3" or "mistral");
            loss = ReferenceObjectives.Sft(policy, examples.Select(e => new ReferenceSequence(e.Ids, e.Trained)).ToList());
        }
        else
        {
            var pairs = ChatData.PreferencePairs();
            var settings = new DpoSettings(Beta: 0.5, DpoLossKind.Sigmoid, SftWeight: arch is "qwen2" or "smollm" ? 0.5 : 0);
            hone = lora is null ? HoneRuns.DpoFull(engine, pairs, settings) : HoneRuns.DpoLora(engine, pairs, settings);
            var refPairs = pairs.Select(p => (new ReferenceSequence(p.Chosen.Ids, p.Chosen.Trained), new ReferenceSequence(p.Rejected.Ids, p.Rejected.Trained))).ToList();

            // The frozen reference model: the starting weights without adapters (LoRA: the base; full: the first step's).
            var frozen = start.Clone();
            foreach (var (name, v) in hone.FrozenValues ?? [])
            {
                frozen.Set(name, v, shapes[name]);
            }

            var sums = ReferenceObjectives.PairLogProbs(new ReferenceDecoder(c), frozen, refPairs);
            loss = ReferenceObjectives.Dpo(policy, refPairs, sums, settings.Beta, settings.SftWeight);
        }

        var weights = start.Clone();
        foreach (var (name, v) in hone.Values)
        {
            weights.Set(name, v, shapes[name]);
        }

        var (refLoss, refGrads) = ReferenceGradients.Compute(loss, weights, hone.Grads.Keys.ToHashSet(StringComparer.Ordinal));
        output.WriteLine($"{arch} {objective} {method}: loss hone {hone.Loss:F6}, reference {refLoss:F6}");
        Assert.True(Math.Abs(hone.Loss - refLoss) <= LossTolerance * (1 + Math.Abs(refLoss)), $"loss: hone {hone.Loss}, reference {refLoss}");

        double worst = GradientComparison.AssertClose(hone.Grads, refGrads, Tolerance, output.WriteLine);
        double fd = ReferenceGradients.FiniteDifferenceError(loss, weights, refGrads, randomSamples: 1, seed, output.WriteLine);
        output.WriteLine($"| {arch} | {objective} {method} | max rel grad diff {worst:E2} | reference FD max error {fd:E2} |");
        Assert.True(fd < FiniteDifferenceTolerance, $"the reference disagrees with its finite differences: {fd:E3}");
    }
}
