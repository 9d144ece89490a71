using System.Numerics.Tensors;
using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Adapters;

/// <summary>
/// Applies a PEFT LoRA adapter to a loaded Llama-family model at load time: a copy of the base weights with every pair
/// merged in (W += B·A·scale, scale = lora_alpha / r, or lora_alpha / √r with use_rslora). Adapter files hold Q/K rows in
/// Hugging Face order; for a base loaded in the interleaved RoPE layout (llama2.c, GGUF) the rows of B are permuted the
/// way llama.cpp permutes the weights, so the adapter means the same thing on every copy of a base.
/// </summary>
public static class AdapterLoader
{
    /// <summary>Loads <paramref name="modelPath"/> (any form <see cref="LlamaModel.Load"/> takes) with the adapter in <paramref name="adapterFolder"/> merged in.</summary>
    /// <exception cref="ModelLoadException">The model or the adapter is invalid, or they do not fit together.</exception>
    public static LlamaModel Load(string modelPath, string adapterFolder, WorkerPool? pool = null)
    {
        var adapter = PeftAdapterFiles.Read(adapterFolder);
        using var baseModel = LlamaModel.Load(modelPath);
        return Apply(baseModel, adapter, adapterFolder, pool);
    }

    /// <summary>A new model: a copy of <paramref name="baseModel"/>'s weights with <paramref name="adapter"/> merged in. The base is not changed.</summary>
    /// <exception cref="ModelLoadException">The adapter does not fit the base model.</exception>
    public static LlamaModel Apply(LlamaModel baseModel, PeftAdapter adapter, string source = "adapter", WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(adapter);
        return new LlamaModel(Merge(baseModel.Weights, adapter, source, pool));
    }

    /// <summary>
    /// A copy of <paramref name="weights"/> with <paramref name="adapter"/> merged in; the caller disposes it. Modules
    /// trained in full (modules_to_save) replace the base's embedding and head. On a base with tied embeddings the result
    /// stays tied when PEFT would keep the two tied (ensure_weight_tying, or equal embedding and head); otherwise it is
    /// untied as PEFT's separate wrappers are: the module saved gets its trained rows, the other keeps the base's.
    /// Trainable tokens' rows then replace their tokens' rows of the embedding and head (the embedding's serve both on a
    /// tied base), every other row staying the base's.
    /// </summary>
    /// <exception cref="ModelLoadException">The adapter does not fit the weights' configuration.</exception>
    public static LlamaWeights Merge(LlamaWeights weights, PeftAdapter adapter, string source = "adapter", WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(adapter);
        var c = weights.Config;
        adapter.Validate(c, source);
        var byWeight = adapter.Pairs.ToDictionary(p => PeftAdapter.WeightName(p.Layer, p.Module), StringComparer.Ordinal);
        if (byWeight.Count != adapter.Pairs.Count)
            throw new ModelLoadException($"{source}: the adapter holds the same layer and module twice.") { FilePath = source };
        var embed = adapter.SavedModules.GetValueOrDefault(LlamaModules.EmbedTokens)?.Values;
        var head = adapter.SavedModules.GetValueOrDefault(LlamaModules.LmHead)?.Values;
        var config = c;
        if (c.TiedEmbeddings && (embed is not null || head is not null))
        {
            bool same = embed is not null && head is not null && embed.AsSpan().SequenceEqual(head);
            if (adapter.EnsureWeightTying && embed is not null && head is not null && !same)
                throw new ModelLoadException($"{source}: ensure_weight_tying is set but the saved embed_tokens and lm_head differ; the adapter is inconsistent.") { FilePath = source };
            if (adapter.EnsureWeightTying || same) embed = head = embed ?? head;
            else config = c with { TiedEmbeddings = false };
        }

        var embedRows = adapter.TrainableTokens.GetValueOrDefault(LlamaModules.EmbedTokens);
        var headRows = adapter.TrainableTokens.GetValueOrDefault(LlamaModules.LmHead);
        if (c.TiedEmbeddings && headRows is not null)
        {
            // PEFT ties the head's token rows to the embedding's on a tied base: one set of rows, both names.
            if (embedRows is not null && !(embedRows.Indices.SequenceEqual(headRows.Indices) && embedRows.Values.AsSpan().SequenceEqual(headRows.Values)))
                throw new ModelLoadException($"{source}: the base ties its embedding and head but the adapter's trainable-token rows of embed_tokens and lm_head differ; the adapter is inconsistent.") { FilePath = source };
            embedRows ??= headRows;
            headRows = null;
        }

        float scale = adapter.Scale;
        return LlamaWeights.Create(config, (name, t) =>
        {
            if (name == "model.embed_tokens.weight")
            {
                if (embed is not null) embed.CopyTo(t.Span);
                else weights.TokenEmbedding.Span.CopyTo(t.Span);
                if (embedRows is not null) ReplaceRows(t.Span, embedRows);
                return;
            }

            if (name == "lm_head.weight")
            {
                if (head is not null) head.CopyTo(t.Span);
                else weights.Classifier.Span.CopyTo(t.Span);
                if (headRows is not null) ReplaceRows(t.Span, headRows);
                return;
            }

            weights.Arena[name].Span.CopyTo(t.Span);
            if (!byWeight.TryGetValue(name, out var pair)) return;
            var (outputs, inputs) = PeftAdapter.ModuleShape(c, pair.Module);
            var b = InBaseRowOrder(c, pair.Module, pair.B, adapter.Rank);
            var ba = new float[(long)outputs * inputs];
            MatMul.XW(b, pair.A, default, ba, outputs, adapter.Rank, inputs, pool); // [out, r]·[r, in]
            TensorPrimitives.MultiplyAdd(ba, scale, t.Span, t.Span);
        });
    }

    /// <summary>Writes each of <paramref name="rows"/>' rows over its token's row of <paramref name="matrix"/> [vocab, columns] (PEFT's index_copy).</summary>
    public static void ReplaceRows(Span<float> matrix, TokenRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ReplaceRows(matrix, rows.Indices, rows.Values, rows.Columns);
    }

    /// <summary>Row s of <paramref name="rows"/> [ids, columns] replaces row <paramref name="ids"/>[s] of <paramref name="matrix"/> [vocab, columns].</summary>
    public static void ReplaceRows(Span<float> matrix, IReadOnlyList<int> ids, ReadOnlySpan<float> rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(ids);
        for (int s = 0; s < ids.Count; s++)
            rows.Slice(s * columns, columns).CopyTo(matrix.Slice(ids[s] * columns, columns));
    }

    /// <summary>
    /// B's rows in the base's row order: Q and K rows of an interleaved-layout base are permuted from the file's
    /// Hugging Face order (<see cref="LlamaGguf.PermuteHfToGguf"/>); everything else is unchanged.
    /// </summary>
    public static float[] InBaseRowOrder(LlamaConfig config, string module, float[] b, int rank)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(b);
        if (config.RopeLayout != RopeLayout.Interleaved || module is not (LlamaModules.QProj or LlamaModules.KProj)) return b;
        var permuted = new float[b.Length];
        LlamaGguf.PermuteHfToGguf(b, permuted, module == LlamaModules.QProj ? config.Heads : config.KvHeads, rank);
        return permuted;
    }

    /// <summary>The inverse of <see cref="InBaseRowOrder"/>: B's rows from the base's order to the file's Hugging Face order.</summary>
    public static float[] ToHfRowOrder(LlamaConfig config, string module, float[] b, int rank)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(b);
        if (config.RopeLayout != RopeLayout.Interleaved || module is not (LlamaModules.QProj or LlamaModules.KProj)) return b;
        var permuted = new float[b.Length];
        LlamaGguf.PermuteGgufToHf(b, permuted, module == LlamaModules.QProj ? config.Heads : config.KvHeads, rank);
        return permuted;
    }
}
