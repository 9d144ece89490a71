using Hone.Models.Llama;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Training.Analysis;
using Hone.Training.Batching;

namespace Hone.Training.Tests;

/// <summary>
/// The warning before a LoRA run that the end-of-turn token looks untrained: it fires when the token's row has the
/// pattern of tokens the base never saw (or its base probability at turn ends is tiny), and not for a trained token.
/// </summary>
public class EndOfTurnCheckTests
{
    private const int Eot = 2;

    /// <summary>A stories260K-shaped model (dim 64, 5 layers, vocab 512, tied) with random rows; rows 300..339 share one
    /// "unused token" pattern, as the rows of tokens a trained model never saw do.</summary>
    private static LlamaModel Stories260KShaped(bool eotUnused)
    {
        var c = new LlamaConfig
        {
            Dim = 64, HiddenDim = 172, Layers = 5, Heads = 8, KvHeads = 4, HeadDim = 8, VocabSize = 512, MaxSeqLen = 512, TiedEmbeddings = true,
            RopeLayout = RopeLayout.Interleaved, BosId = 1, EosIds = [Eot],
        };
        var rng = new Random(7);
        var pattern = Enumerable.Range(0, c.Dim).Select(_ => (float)((rng.NextDouble() * 2) - 1) * 0.03f).ToArray();
        var weights = LlamaWeights.Create(c, (name, t) =>
        {
            var s = t.Span;
            bool norm = name.Contains("norm", StringComparison.Ordinal);
            double scale = norm ? 0 : name.Contains("embed", StringComparison.Ordinal) ? 0.1 : 1.0 / Math.Sqrt(t.Shape[^1]);
            for (int i = 0; i < s.Length; i++) s[i] = (float)((norm ? 1 : 0) + (((rng.NextDouble() * 2) - 1) * scale));
            if (name != "model.embed_tokens.weight") return;
            for (int row = 300; row < 340; row++) SetPattern(s, row);
            if (eotUnused) SetPattern(s, Eot);
            void SetPattern(Span<float> table, int row)
            {
                for (int d = 0; d < c.Dim; d++) table[(row * c.Dim) + d] = pattern[d] + (float)(((rng.NextDouble() * 2) - 1) * 1e-4);
            }
        });
        return new LlamaModel(weights);
    }

    private static TokenizedExample EndingWith(int[] prompt, int last) =>
        new([.. prompt, last], [.. prompt.Select(_ => false), true]);

    [Fact]
    public void Fires_when_the_end_of_turn_row_has_the_unused_token_pattern_and_not_on_a_normal_row()
    {
        int[] prompt = [1, 40, 41, 42, 43];
        using var unused = Stories260KShaped(eotUnused: true);
        var warning = EndOfTurnCheck.Warning(unused, Eot, "'</s>'", [EndingWith(prompt, Eot)]);
        Assert.NotNull(warning);
        Assert.Contains("same pattern (cosine ≥ 0.99) as 40 other tokens' rows", warning, StringComparison.Ordinal);
        Assert.Contains("--modules-to-save embed_tokens,lm_head", warning, StringComparison.Ordinal);
        Assert.Contains("--method full", warning, StringComparison.Ordinal);

        using var normal = Stories260KShaped(eotUnused: false);
        Assert.Null(EndOfTurnCheck.RowReason(normal.Weights.TokenEmbedding, Eot, "embedding"));
        Assert.Null(EndOfTurnCheck.Warning(normal, Eot, "'</s>'", [EndingWith(prompt, Eot)]));

        // A zero row is the other mark of a token never trained.
        using var zero = Stories260KShaped(eotUnused: false);
        zero.Weights.TokenEmbedding.Row(Eot).Clear();
        Assert.Contains("(nearly) zero", EndOfTurnCheck.RowReason(zero.Weights.TokenEmbedding, Eot, "embedding"), StringComparison.Ordinal);
    }

    [Fact]
    public void On_the_real_stories260K_the_unused_eos_fires_by_row_and_probability_and_a_trained_token_does_not()
    {
        using var model = LlamaModel.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        var tokenizer = TokenizerLoader.Load(TestAssets.Path("models", "stories260K", "tok512.bin"));
        var story = tokenizer.Encode("Once upon a time, there was a little girl named Lily. She liked to play.", addBos: true);
        var eos = tokenizer.EosId!.Value;
        var endsWithEos = EndingWith(story, eos);
        var p = EndOfTurnCheck.BaseProbability(model, [endsWithEos], eos)!.Value;
        Assert.True(p.MeanProbability < EndOfTurnCheck.ProbabilityThreshold, $"{p.MeanProbability}");
        Assert.NotNull(EndOfTurnCheck.RowReason(model.Weights.TokenEmbedding, eos, "embedding"));
        Assert.NotNull(EndOfTurnCheck.Warning(model, eos, "'</s>'", [endsWithEos]));

        // "time" after "Once upon a" is a token the base knows well: its row is its own and its probability is high.
        var once = tokenizer.Encode("Once upon a time", addBos: true);
        var time = EndingWith(once[..^1], once[^1]);
        Assert.True(EndOfTurnCheck.BaseProbability(model, [time], once[^1])!.Value.MeanProbability > 0.1);
        Assert.Null(EndOfTurnCheck.Warning(model, once[^1], "'time'", [time]));
        Assert.Equal(eos, EndOfTurnCheck.EndOfTurnId([endsWithEos, endsWithEos, time]));
    }
}
