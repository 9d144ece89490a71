using Hone.Models.Llama;
using Hone.Models.Train;

namespace Hone.Reference.Tests;

/// <summary>
/// LoRA's modules to save (PEFT's modules_to_save) in the gradient tests: which trained copies a trainer must hold, and
/// moving them away from the base rows they start as, so that a forward reading the base instead would show.
/// </summary>
internal static class SavedModules
{
    /// <summary>
    /// The trained copies for <paramref name="modules"/>: none when none is named; untied, one per module named; tied, one
    /// shared matrix (under the embedding's name) that serves as input embedding and head whichever module was named
    /// (PEFT's ensure_weight_tying).
    /// </summary>
    public static string[] Expected(LlamaConfig c, IReadOnlyList<string> modules)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(modules);
        return modules.Count == 0 ? []
            : c.TiedEmbeddings ? [LlamaTrainer.SavedName("embed_tokens")]
            : [.. modules.Select(LlamaTrainer.SavedName)];
    }

    /// <summary>
    /// Asserts the trainer trains exactly the <paramref name="expected"/> copies (beside its adapters), each starting at
    /// the base's matrix, then adds U(±0.3) to every element of each.
    /// </summary>
    public static void AssertAndPerturb(LlamaTrainer trainer, IReadOnlyList<string> expected, int seed)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var saved = trainer.Parameters.Where(p => p.Name.Contains("modules_to_save", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), saved.Select(p => p.Name).Order(StringComparer.Ordinal));
        var rng = new Random(seed);
        foreach (var p in saved)
        {
            var w = trainer.Model.Weights;
            var start = p.Name == LlamaTrainer.SavedName("embed_tokens") ? w.TokenEmbedding : w.Classifier;
            Assert.True(start.Span.SequenceEqual(p.Value.Span), $"{p.Name} should start as the base's matrix.");
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] += (float)((rng.NextDouble() * 2) - 1) * 0.3f;
            }
        }
    }
}
