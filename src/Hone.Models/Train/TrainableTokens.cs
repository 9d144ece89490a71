using System.Numerics.Tensors;
using Hone.Models.Adapters;
using Hone.Models.Llama;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// LoRA's trainable tokens (PEFT's <c>trainable_token_indices</c>): the rows of chosen token ids in the embedding (and,
/// untied, in the output head) train as compact [tokens, dim] parameters, started from the base's rows. The passes read
/// full copies of the embedding and head (views into the trainer's arena) into which <see cref="Sync"/> writes the
/// trained rows; every other row is the base's, bit for bit. Gradients go to the compact rows only: the embedding's
/// from the positions holding a chosen token, the head's from the chosen tokens' columns of dlogits. With tied
/// embeddings one set of rows serves both (PEFT ties the two wrappers), and both gradients add up in it.
/// </summary>
internal sealed class TrainableTokens
{
    private readonly int[] _ids;
    private readonly int[] _slot;
    private readonly int _dim;
    private readonly Tensor _embedCopy, _embedRows, _embedGrad;
    private readonly Tensor? _headCopy, _headRows, _headGrad;

    /// <summary>Binds the arena's copies and rows (laid out by <see cref="Plan"/>) and starts them from the base's.</summary>
    public TrainableTokens(TrainerArena arena, LlamaWeights w, LlamaConfig c, int[] ids)
    {
        _ids = ids;
        _dim = c.Dim;
        _slot = new int[c.VocabSize];
        Array.Fill(_slot, -1);
        for (int s = 0; s < ids.Length; s++)
        {
            _slot[ids[s]] = s;
        }

        Tied = c.TiedEmbeddings;
        _embedCopy = arena[CopyName(LlamaModules.EmbedTokens)];
        _embedRows = arena[PeftAdapter.TokenRowsName(LlamaModules.EmbedTokens)];
        _embedGrad = arena[TrainerArena.GradName(PeftAdapter.TokenRowsName(LlamaModules.EmbedTokens))];
        w.TokenEmbedding.Span.CopyTo(_embedCopy.Span);
        Gather(w.TokenEmbedding.Span, _embedRows.Span);
        if (!Tied)
        {
            _headCopy = arena[CopyName(LlamaModules.LmHead)];
            _headRows = arena[PeftAdapter.TokenRowsName(LlamaModules.LmHead)];
            _headGrad = arena[TrainerArena.GradName(PeftAdapter.TokenRowsName(LlamaModules.LmHead))];
            w.Classifier.Span.CopyTo(_headCopy.Value.Span);
            Gather(w.Classifier.Span, _headRows.Value.Span);
        }
    }

    /// <summary>Whether one set of rows serves the embedding and the head.</summary>
    public bool Tied { get; }

    /// <summary>The chosen token ids, ascending.</summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>The embedding with the trained rows in place (current after <see cref="Sync"/>).</summary>
    public Tensor Embedding => _embedCopy;

    /// <summary>The head with the trained rows in place (the embedding's when tied).</summary>
    public Tensor Head => _headCopy ?? _embedCopy;

    /// <summary>Adds the arena tensors for <paramref name="count"/> trainable tokens: the full copies, the rows and their gradients.</summary>
    public static void Plan(Action<string, int[]> add, LlamaConfig c, int count)
    {
        add(CopyName(LlamaModules.EmbedTokens), [c.VocabSize, c.Dim]);
        add(PeftAdapter.TokenRowsName(LlamaModules.EmbedTokens), [count, c.Dim]);
        add(TrainerArena.GradName(PeftAdapter.TokenRowsName(LlamaModules.EmbedTokens)), [count, c.Dim]);
        if (!c.TiedEmbeddings)
        {
            add(CopyName(LlamaModules.LmHead), [c.VocabSize, c.Dim]);
            add(PeftAdapter.TokenRowsName(LlamaModules.LmHead), [count, c.Dim]);
            add(TrainerArena.GradName(PeftAdapter.TokenRowsName(LlamaModules.LmHead)), [count, c.Dim]);
        }
    }

    /// <summary>Writes the trained rows into the full copies (before a forward and before a merge).</summary>
    public void Sync()
    {
        Scatter(_embedRows.Span, _embedCopy.Span);
        if (_headRows is { } hr)
        {
            Scatter(hr.Span, _headCopy!.Value.Span);
        }
    }

    /// <summary>dRows += dx at every position holding a chosen token. Shapes: tokens [n], dx [n, dim].</summary>
    public void AccumulateEmbeddingGrad(ReadOnlySpan<int> tokens, ReadOnlySpan<float> dx)
    {
        Span<float> grad = _embedGrad.Span;
        for (int i = 0; i < tokens.Length; i++)
        {
            int s = _slot[tokens[i]];
            if (s >= 0)
            {
                Span<float> row = grad.Slice(s * _dim, _dim);
                TensorPrimitives.Add(row, dx.Slice(i * _dim, _dim), row);
            }
        }
    }

    /// <summary>
    /// dRows[s] += Σᵢ dlogits[i, id_s]·g[i] for every chosen token (the head's rows; the embedding's when tied).
    /// Shapes: dLogits [m, vocab], g [m, dim].
    /// </summary>
    public void AccumulateHeadGrad(ReadOnlySpan<float> dLogits, ReadOnlySpan<float> g, int m, int vocab)
    {
        Span<float> grad = (_headGrad ?? _embedGrad).Span;
        for (int s = 0; s < _ids.Length; s++)
        {
            Span<float> row = grad.Slice(s * _dim, _dim);
            int id = _ids[s];
            for (int i = 0; i < m; i++)
            {
                float d = dLogits[(i * vocab) + id];
                if (d != 0)
                {
                    TensorPrimitives.MultiplyAdd(g.Slice(i * _dim, _dim), d, row, row);
                }
            }
        }
    }

    /// <summary>Adds the rows to <paramref name="parameters"/> (no weight decay: a row not seen must not drift).</summary>
    public void AddParameters(List<TrainableParameter> parameters)
    {
        parameters.Add(new TrainableParameter(PeftAdapter.TokenRowsName(LlamaModules.EmbedTokens), _embedRows, _embedGrad, false));
        if (_headRows is { } hr)
        {
            parameters.Add(new TrainableParameter(PeftAdapter.TokenRowsName(LlamaModules.LmHead), hr, _headGrad!.Value, false));
        }
    }

    private static string CopyName(string module) => "tokens_copy:" + module;

    private void Gather(ReadOnlySpan<float> full, Span<float> rows)
    {
        for (int s = 0; s < _ids.Length; s++)
        {
            full.Slice(_ids[s] * _dim, _dim).CopyTo(rows.Slice(s * _dim, _dim));
        }
    }

    private void Scatter(ReadOnlySpan<float> rows, Span<float> full) => AdapterLoader.ReplaceRows(full, _ids, rows, _dim);
}
