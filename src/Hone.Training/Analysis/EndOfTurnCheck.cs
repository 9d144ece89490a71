using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Hone.Training.Batching;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Training.Analysis;

/// <summary>
/// Before a LoRA run: does the end-of-turn token look untrained in the base? A token the base never saw keeps the row
/// pattern every unseen token shares (pushed the same way by the softmax, so their rows are nearly equal), or a zero
/// row; and the base gives it a tiny probability where a turn ends. LoRA adapts the linear layers only, so on such a
/// token (above all with tied embeddings, where the same row is the output row) the tuned model never learns to end its
/// answers: every answer runs to the token limit. Training that token's rows (<c>--trainable-tokens ID</c>), the embedding
/// and the output head in full (<c>--modules-to-save embed_tokens,lm_head</c>) or full fine-tuning fixes it.
/// </summary>
public static class EndOfTurnCheck
{
    /// <summary>A base probability of the end-of-turn token below this, averaged over the probed turn ends, warns.</summary>
    public const double ProbabilityThreshold = 1e-4;

    /// <summary>Cosine at or above which two embedding rows count as the same pattern.</summary>
    public const float SameRowCosine = 0.99f;

    /// <summary>Rows of the same pattern (besides the token's own) that mark it as an unused-token row.</summary>
    public const int SameRows = 8;

    /// <summary>A row whose norm is under this share of the median row norm counts as zero.</summary>
    public const float ZeroNormShare = 1e-3f;

    /// <summary>Turn ends probed for the base probability.</summary>
    public const int ProbedExamples = 4;

    /// <summary>
    /// Whether a LoRA run trains the output row of token <paramref name="id"/> (so no warning is due): the head in full
    /// (lm_head saved, or either module when the embeddings are tied) or that token's rows (trainable tokens).
    /// </summary>
    public static bool OutputRowTrains(LoraOptions lora, LlamaConfig config, int id)
    {
        ArgumentNullException.ThrowIfNull(lora);
        ArgumentNullException.ThrowIfNull(config);
        var saved = lora.ResolveModulesToSave();
        return saved.Contains(LlamaModules.LmHead) || (config.TiedEmbeddings && saved.Count > 0) || lora.TrainableTokenIndices.Contains(id);
    }

    /// <summary>The end-of-turn token of the data: the most common last trained token of the examples (ties: the smaller id).</summary>
    public static int? EndOfTurnId(IEnumerable<TokenizedExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var counts = new Dictionary<int, int>();
        foreach (var e in examples)
        {
            int last = Array.LastIndexOf(e.Trained, true);
            if (last < 0) continue;
            counts[e.Ids[last]] = counts.GetValueOrDefault(e.Ids[last]) + 1;
        }
        return counts.Count == 0 ? null : counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
    }

    /// <summary>
    /// The end-of-turn token the chat template writes after an assistant turn: the last trained token of a one-turn
    /// conversation; null when the template cannot render one.
    /// </summary>
    public static int? TemplateEndOfTurnId(ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        try
        {
            var encoded = encoder.Encode([JsonNode.Parse("""{"role":"user","content":"Hi"}""")!, JsonNode.Parse("""{"role":"assistant","content":"Hello"}""")!]);
            return EndOfTurnId([TokenizedExample.FromEncoded(encoded)]);
        }
        catch (Exception e) when (e is ChatTemplateException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why the row of <paramref name="id"/> in <paramref name="table"/> [vocab, dim] looks untrained (near-zero, or the
    /// same pattern as at least <see cref="SameRows"/> other rows), or null when it looks like a trained token's row.
    /// </summary>
    public static string? RowReason(Tensor table, int id, string what)
    {
        int vocab = table.Shape[0];
        if ((uint)id >= (uint)vocab) return null;
        var norms = new float[vocab];
        for (int i = 0; i < vocab; i++) norms[i] = TensorPrimitives.Norm(table.Row(i));
        var sorted = (float[])norms.Clone();
        Array.Sort(sorted);
        float median = sorted[vocab / 2];
        if (norms[id] <= ZeroNormShare * median)
            return string.Create(CultureInfo.InvariantCulture, $"its {what} row is (nearly) zero (norm {norms[id]:0.###e0}, median row norm {median:0.###})");
        ReadOnlySpan<float> row = table.Row(id);
        int same = 0;
        for (int i = 0; i < vocab; i++)
        {
            if (i == id || norms[i] == 0) continue;
            if (TensorPrimitives.Dot(row, table.Row(i)) >= SameRowCosine * norms[id] * norms[i]) same++;
        }
        return same >= SameRows
            ? string.Create(CultureInfo.InvariantCulture, $"its {what} row is the same pattern (cosine ≥ {SameRowCosine}) as {same} other tokens' rows, the mark of tokens the base never saw in training")
            : null;
    }

    /// <summary>
    /// The base model's mean probability of <paramref name="id"/> at the turn ends (the last trained token, when it is
    /// <paramref name="id"/>) of the <see cref="ProbedExamples"/> shortest examples, with the number probed; null when
    /// no example ends with it.
    /// </summary>
    public static (double MeanProbability, int Probed)? BaseProbability(LlamaModel model, IReadOnlyList<TokenizedExample> examples, int id, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        var ends = examples
            .Select(e => (Example: e, End: Array.LastIndexOf(e.Trained, true)))
            .Where(x => x.End >= 1 && x.Example.Ids[x.End] == id && x.End <= model.Config.MaxSeqLen)
            .OrderBy(x => x.End)
            .Take(ProbedExamples)
            .ToList();
        if (ends.Count == 0) return null;
        double sum = 0;
        foreach (var (e, end) in ends)
        {
            using var session = model.CreateSession(maxContext: end, pool: pool);
            var logits = session.Forward(e.Ids.AsSpan(0, end));
            float max = TensorPrimitives.Max(logits);
            double z = 0;
            foreach (var x in logits) z += Math.Exp(x - max);
            sum += Math.Exp(logits[id] - max) / z;
        }
        return (sum / ends.Count, ends.Count);
    }

    /// <summary>
    /// The warning for a LoRA run whose end-of-turn token looks untrained, or null. <paramref name="token"/> names the
    /// token for the message; <paramref name="examples"/> may be empty (RFT: only the rows are checked).
    /// </summary>
    public static string? Warning(LlamaModel model, int id, string token, IReadOnlyList<TokenizedExample> examples, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var w = model.Weights;
        var reasons = new List<string>();
        if (RowReason(w.TokenEmbedding, id, model.Config.TiedEmbeddings ? "embedding (tied: also its output)" : "input embedding") is { } r) reasons.Add(r);
        if (!model.Config.TiedEmbeddings && RowReason(w.Classifier, id, LlamaModules.LmHead) is { } h) reasons.Add(h);
        if (BaseProbability(model, examples, id, pool) is { } p && p.MeanProbability < ProbabilityThreshold)
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"the base gives it probability {p.MeanProbability:0.##e0} at the turn ends of {p.Probed} training example(s) (below {ProbabilityThreshold:0e0})"));
        if (reasons.Count == 0) return null;
        return string.Create(CultureInfo.InvariantCulture, $"the end-of-turn token {token} (id {id}) looks untrained in the base: {string.Join("; ", reasons)}. ") +
            "LoRA adapts the linear layers only, so the tuned model may never learn to end a turn and every answer would run to the token limit. " +
            string.Create(CultureInfo.InvariantCulture, $"Train that token's rows with --trainable-tokens {id}, the embedding and output rows in full with --modules-to-save embed_tokens,lm_head, or use --method full.");
    }
}
