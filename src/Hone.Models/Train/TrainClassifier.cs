using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// The output head of the training pass: the vocabulary projection of the final norm's output and the log-softmax of
/// each target, forward and, beside it, backward. The logits are computed for chunks of trained positions only, at most
/// <see cref="Chunk"/> at a time (a budget of floats, <see cref="LogitBudget"/>), into the trainer's arena; when one
/// chunk holds all of a forward's positions they stay for the backward. The head is the model's (with its gradient
/// under full fine-tuning) or, while the adapters are on, LoRA's trained copy (<see cref="SavedModules"/>).
/// </summary>
internal sealed class TrainClassifier
{
    /// <summary>Fewest floats of logits held at once (the vocabulary projection runs in chunks of positions); the
    /// budget grows to a quarter of the model's weights (<see cref="LogitBudget"/>).</summary>
    private const long MinLogitBudget = 8L << 20;

    private readonly TrainerArena _arena;
    private readonly TrainPass _pass;
    private readonly SavedModules _saved;
    private readonly LlamaConfig _c;
    private readonly WorkerPool _pool;
    private readonly Tensor? _weightGrad;
    private readonly Tensor _gathered, _logits;
    private readonly int[] _active;
    private readonly float[] _lse;

    /// <summary>Positions whose logits the last forward left in the logits buffer (in order), or -1.</summary>
    private int _logitsKept = -1;

    /// <summary>Binds the head's buffers in <paramref name="arena"/>.</summary>
    /// <param name="arena">The trainer's arena, laid out for <paramref name="chunk"/> positions of logits.</param>
    /// <param name="pass">The pass the head runs in.</param>
    /// <param name="saved">LoRA's trained copies (none under full fine-tuning).</param>
    /// <param name="c">The model's configuration.</param>
    /// <param name="chunk">Positions whose logits are held at once (<see cref="ChunkFor"/>).</param>
    /// <param name="full">Whether the model's own head is trained (its gradient is in the arena).</param>
    /// <param name="pool">Workers for the matmuls.</param>
    public TrainClassifier(TrainerArena arena, TrainPass pass, SavedModules saved, LlamaConfig c, int chunk, bool full, WorkerPool pool)
    {
        _arena = arena;
        _pass = pass;
        _saved = saved;
        _c = c;
        _pool = pool;
        Chunk = chunk;
        _weightGrad = full ? arena[TrainerArena.GradName(c.TiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")] : null;
        _gathered = arena["gathered"];
        _logits = arena["logits"];
        int n = checked(pass.MaxRows * pass.MaxSequenceLength);
        _active = new int[n];
        _lse = new float[n];
    }

    /// <summary>Positions whose logits are held at once.</summary>
    public int Chunk { get; }

    /// <summary>The chunk for batches of <paramref name="positions"/> positions of <paramref name="model"/>.</summary>
    public static int ChunkFor(LlamaModel model, int positions) =>
        (int)Math.Clamp(LogitBudget(model) / model.Config.VocabSize, 1, positions);

    /// <summary>The output head of this pass: the trained copy (modules to save) while the adapters are on, else the model's.</summary>
    private Tensor Weight => _saved.HeadFor(_pass.AdaptersOn);

    /// <summary>Where the head's gradient goes: the model's weight (full), the trained copy (adapters on), or nowhere.</summary>
    private Tensor? WeightGrad => _weightGrad ?? _saved.HeadGradFor(_pass.AdaptersOn);

    /// <summary>
    /// log p(target) = logit[target] − logsumexp(logits) and argmax == target for every position with a target; the
    /// logits are computed for chunks of those positions only. When one chunk holds them all, they stay for the
    /// backward (which would otherwise recompute exactly the same values).
    /// </summary>
    public void Forward(Span<float> targetLogProbs, Span<bool> argmaxCorrect)
    {
        targetLogProbs.Clear();
        argmaxCorrect.Clear();
        ReadOnlySpan<int> targets = _pass.Targets;
        int count = 0;
        for (int i = 0; i < _pass.N; i++)
        {
            if (targets[i] != TokenBatch.IgnoreTarget)
            {
                _active[count++] = i;
            }
        }

        int dim = _c.Dim, vocab = _c.VocabSize;
        ReadOnlySpan<float> xn = _arena.FinalNormOut.Span;
        _logitsKept = count <= Chunk ? count : -1;
        for (int c0 = 0; c0 < count; c0 += Chunk)
        {
            int m = Math.Min(Chunk, count - c0);
            Span<float> g = _gathered.Span[..(m * dim)];
            for (int i = 0; i < m; i++)
            {
                xn.Slice(_active[c0 + i] * dim, dim).CopyTo(g.Slice(i * dim, dim));
            }

            Span<float> logits = _logits.Span[..(m * vocab)];
            MatMul.XWt(g, Weight.Span, default, logits, m, dim, vocab, _pool);
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> row = logits.Slice(i * vocab, vocab);
                int idx = _active[c0 + i], target = targets[idx];
                float lse = CrossEntropy.LogSumExp(row);
                _lse[idx] = lse;
                targetLogProbs[idx] = row[target] - lse;
                argmaxCorrect[idx] = TensorPrimitives.IndexOfMax(row) == target;
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: dlogits = c·(onehot(target) − softmax) per trained position (logits kept
    /// from the forward when it had the same positions in one chunk, else recomputed chunk by chunk), dxn [n, dim]
    /// written, dW_classifier accumulated.
    /// </summary>
    public void Backward(ReadOnlySpan<float> coefficients, Span<float> dxn)
    {
        dxn.Clear();
        ReadOnlySpan<int> targets = _pass.Targets;
        int count = 0;
        for (int i = 0; i < _pass.N; i++)
        {
            if (targets[i] != TokenBatch.IgnoreTarget && coefficients[i] != 0)
            {
                _active[count++] = i;
            }
        }

        int dim = _c.Dim, vocab = _c.VocabSize;
        ReadOnlySpan<float> xn = _arena.FinalNormOut.Span;
        ReadOnlySpan<float> wc = Weight.Span;
        Tensor? classifierGrad = WeightGrad;
        var scratch = _arena.Linear;

        // The trained positions are a subset of the forward's (ascending): the same count means the same positions.
        bool kept = _logitsKept == count;
        _logitsKept = -1;
        for (int c0 = 0; c0 < count; c0 += Chunk)
        {
            int m = Math.Min(Chunk, count - c0);
            Span<float> g = _gathered.Span[..(m * dim)];
            Span<float> dLogits = _logits.Span[..(m * vocab)];
            if (!kept)
            {
                for (int i = 0; i < m; i++)
                {
                    xn.Slice(_active[c0 + i] * dim, dim).CopyTo(g.Slice(i * dim, dim));
                }

                MatMul.XWt(g, wc, default, dLogits, m, dim, vocab, _pool);
            }

            for (int i = 0; i < m; i++)
            {
                Span<float> row = dLogits.Slice(i * vocab, vocab);
                int idx = _active[c0 + i];
                float coef = coefficients[idx];
                TensorPrimitives.Subtract(row, _lse[idx], row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, -coef, row);
                row[targets[idx]] += coef;
            }

            Span<float> dg = scratch.DxPart.Span[..(m * dim)];
            MatMul.XW(dLogits, wc, default, dg, m, vocab, dim, _pool);
            for (int i = 0; i < m; i++)
            {
                dg.Slice(i * dim, dim).CopyTo(dxn.Slice(_active[c0 + i] * dim, dim));
            }

            if (classifierGrad is { } wg)
            {
                // dW += dlogitsᵀ·g, a block of vocabulary rows at a time (only the block is transposed, into the
                // layers' dyᵀ scratch): each element's arithmetic is that of one whole product.
                Span<float> t = scratch.Transposed.Span;
                int block = Math.Max(1, t.Length / m);
                for (int v0 = 0; v0 < vocab; v0 += block)
                {
                    int vb = Math.Min(block, vocab - v0);
                    MatMulBackward.Transpose(dLogits[v0..], vocab, t, m, vb);
                    MatMul.XWAdd(t, g, default, wg.Span.Slice(v0 * dim, vb * dim), vb, m, dim, _pool);
                }
            }

            if (_pass.AdaptersOn && _saved.Tokens is { } tokens)
            {
                tokens.AccumulateHeadGrad(dLogits, g, m, vocab);
            }
        }
    }

    /// <summary>
    /// Most floats of logits held at once: a quarter of the model's weights (at least <see cref="MinLogitBudget"/>), so
    /// that the logits of a whole 512-token row of a 134M model (32000 tokens) or of Qwen2.5-0.5B (151936) stay from the
    /// forward for the backward instead of being recomputed (an extra classifier product per step, 6–9% of its FLOPs),
    /// for at most a sixteenth of full fine-tuning's weights, gradients and moments. Weights held in BF16 count as
    /// float32, so that a BF16 base chunks the logits as its float32 original does.
    /// </summary>
    private static long LogitBudget(LlamaModel model) =>
        Math.Max(MinLogitBudget, (model.Weights.Arena.UsedFloats + model.Weights.Stored.Values.Sum(m => (long)m.Rows * m.Cols)) / 4);
}
