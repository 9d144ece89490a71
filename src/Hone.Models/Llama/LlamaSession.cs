using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Llama;

/// <summary>
/// One running sequence of a <see cref="LlamaModel"/>: the KV cache and the activations of a block of tokens, all carved
/// from one arena when the session is created, so no memory is allocated per token. <see cref="Forward(ReadOnlySpan{int})"/>
/// appends tokens (a prompt block or a single decode token) and returns the logits of the last one.
/// Not thread-safe: one session per sequence.
/// </summary>
/// <remarks>
/// The forward pass runs layer by layer (<see cref="AttentionBlock"/>, then <see cref="FeedForwardBlock"/>); each step
/// names its inputs and outputs in the arena, so a backward pass can mirror it step by step. For inference the
/// activations of a layer are overwritten by the next one; training keeps one set per layer.
/// </remarks>
public sealed class LlamaSession : IInferenceSession
{
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly WorkerPool _pool;
    private readonly Arena _arena;
    private readonly Tensor _x, _xn, _q, _att, _gate, _up, _logits, _probs, _cos, _sin;
    private readonly KvCache _cache;
    private readonly int[] _firstVisible;
    private readonly int _attentionRows;
    private readonly float _attentionScale;

    internal LlamaSession(LlamaModel model, int maxContext, int blockSize, WorkerPool pool, KvCacheType cacheType)
    {
        _model = model;
        _c = model.Config;
        _pool = pool;
        if (maxContext < 1 || maxContext > _c.MaxSeqLen)
        {
            throw new ArgumentOutOfRangeException(nameof(maxContext), maxContext, $"The context must be 1..{_c.MaxSeqLen} positions (the model's maximum).");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        blockSize = Math.Min(blockSize, maxContext);
        MaxContext = maxContext;
        BlockSize = blockSize;
        CacheType = cacheType;
        int b = blockSize, half = _c.HeadDim / 2;

        // Attention probabilities [rows, heads, positions]: a block's rows go through attention in groups small
        // enough that the probabilities of a group fit in ProbabilityBudget floats (one row at least).
        long perRow = (long)_c.Heads * maxContext;
        _attentionRows = (int)Math.Clamp(ProbabilityBudget / perRow, 1, b);
        _attentionScale = 1f / MathF.Sqrt(_c.HeadDim);
        _firstVisible = new int[b];
        _arena = new Arena(Arena.FloatsFor(
            (long)b * _c.Dim, (long)b * _c.Dim, (long)b * _c.QDim, (long)b * _c.QDim,
            (long)b * _c.HiddenDim, (long)b * _c.HiddenDim, _c.VocabSize,
            _attentionRows * perRow, (long)maxContext * half, (long)maxContext * half) + KvCache.Floats(cacheType, _c.Layers, maxContext, _c.KvDim, b));
        try
        {
            _x = _arena.Allocate("x", b, _c.Dim);
            _xn = _arena.Allocate("x_norm", b, _c.Dim);
            _q = _arena.Allocate("q", b, _c.QDim);
            _att = _arena.Allocate("attention", b, _c.QDim);
            _gate = _arena.Allocate("ffn_gate", b, _c.HiddenDim);
            _up = _arena.Allocate("ffn_up", b, _c.HiddenDim);
            _logits = _arena.Allocate("logits", _c.VocabSize); // the last token's; Forward(tokens, logits) writes all rows to the caller's span
            _cache = KvCache.Create(cacheType, _arena, _c.Layers, maxContext, _c.KvHeads, _c.HeadDim, b);
            _probs = _arena.Allocate("attention_probs", _attentionRows, _c.Heads, maxContext);
            _cos = _arena.Allocate("rope_cos", maxContext, half);
            _sin = _arena.Allocate("rope_sin", maxContext, half);
            _c.RopeTables(maxContext, _cos.Span, _sin.Span);
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
    }

    /// <summary>Most floats of attention probabilities a session keeps (16 MiB).</summary>
    private const long ProbabilityBudget = 1L << 22;

    /// <summary>Operations with fewer multiply-adds than this run on the calling thread (about 10 µs of work).</summary>
    private const long ParallelMinMultiplyAdds = 1L << 17;

    /// <summary>The model this session runs.</summary>
    public LlamaModel Model => _model;

    /// <summary>The arena of the KV cache and activations (tensors named "key_cache", "x_norm", "logits", ...).</summary>
    public Arena Arena => _arena;

    /// <inheritdoc/>
    public int VocabSize => _c.VocabSize;

    /// <inheritdoc/>
    public int? BosId => _c.BosId;

    /// <inheritdoc/>
    public IReadOnlyList<int> EosIds => _c.EosIds;

    /// <summary>Element type of the KV cache.</summary>
    public KvCacheType CacheType { get; }

    /// <summary>Bytes the KV cache holds per position (keys and values of every layer).</summary>
    public long CacheBytesPerToken => _cache.BytesPerToken;

    /// <summary>Positions the KV cache holds.</summary>
    public int MaxContext { get; }

    /// <summary>Tokens processed together per block.</summary>
    public int BlockSize { get; }

    /// <summary>Number of tokens already in the KV cache (the position of the next token).</summary>
    public int Position { get; private set; }

    /// <summary>Forgets the sequence (the cache is simply overwritten later).</summary>
    public void Reset() => Position = 0;

    /// <summary>Drops every cached token from <paramref name="position"/> on, so generation can resume from there.</summary>
    public void Rewind(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
        Position = position;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> at <see cref="Position"/> and returns the logits [vocab] after the last one.
    /// The span is valid until the next call.
    /// </summary>
    /// <exception cref="ContextOverflowException">The tokens do not fit in the remaining context.</exception>
    public ReadOnlySpan<float> Forward(scoped ReadOnlySpan<int> tokens)
    {
        Run(tokens, Span<float>.Empty);
        return _logits.Span;
    }

    /// <summary>Appends one token and returns the logits [vocab] after it (valid until the next call).</summary>
    public ReadOnlySpan<float> Forward(int token) => Forward([token]);

    /// <summary>Appends <paramref name="tokens"/> and writes the logits of every one of them to <paramref name="logits"/>
    /// [tokens, vocab] (for scoring).</summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length < (long)tokens.Length * _c.VocabSize)
        {
            throw new ArgumentException($"logits holds {logits.Length} floats; {tokens.Length} tokens × vocab {_c.VocabSize} are needed.", nameof(logits));
        }

        Run(tokens, logits);
    }

    private void Run(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("Forward needs at least one token.", nameof(tokens));
        }

        if (Position + tokens.Length > MaxContext)
        {
            throw new ContextOverflowException(
                $"{tokens.Length} tokens at position {Position} exceed the context of {MaxContext} positions; shorten the prompt, lower max new tokens, or truncate explicitly.");
        }

        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)_c.VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"Token id {t} is outside the vocabulary (0..{_c.VocabSize - 1}).");
            }
        }

        for (int start = 0; start < tokens.Length; start += BlockSize)
        {
            int rows = Math.Min(BlockSize, tokens.Length - start);
            bool lastBlock = start + rows == tokens.Length;
            ForwardBlock(tokens.Slice(start, rows), allLogits.IsEmpty ? allLogits : allLogits.Slice(start * _c.VocabSize, rows * _c.VocabSize), lastBlock);
        }
    }

    /// <summary>One block of rows at positions Position.. Position+rows-1.</summary>
    private void ForwardBlock(ReadOnlySpan<int> tokens, Span<float> allLogits, bool lastBlock)
    {
        int rows = tokens.Length, dim = _c.Dim, pos0 = Position;
        var w = _model.Weights;
        var x = _x.Span[..(rows * dim)];
        for (int r = 0; r < rows; r++)
        {
            if (w.StoredEmbedding is { } se)
            {
                se.DecodeRow(tokens[r], x.Slice(r * dim, dim));
            }
            else
            {
                w.TokenEmbedding.Row(tokens[r]).CopyTo(x.Slice(r * dim, dim));
            }
        }

        // Rows whose final hidden state is needed: all when every logit is asked for, the last one for the block that
        // ends the input, none for an earlier block. The last layer computes only those (and every row's keys and values).
        int outputFirst = !allLogits.IsEmpty ? 0 : lastBlock ? rows - 1 : rows;
        for (int l = 0; l < _c.Layers; l++)
        {
            int first = l == _c.Layers - 1 ? outputFirst : 0;
            AttentionBlock(l, rows, pos0, first);
            FeedForwardBlock(l, rows, first);
        }

        Position = pos0 + rows;
        var xn = _xn.Span;
        if (!allLogits.IsEmpty)
        {
            RmsNorm.Forward(x, w.FinalNorm.Span, xn, rows, dim, _c.RmsEps);
            Linear(xn, rows, dim, w.Classifier, w.StoredClassifier, null, default, allLogits, _c.VocabSize, add: false);
            allLogits.Slice((rows - 1) * _c.VocabSize, _c.VocabSize).CopyTo(_logits.Span);
        }
        else if (lastBlock)
        {
            // Only the last token's logits are asked for: normalise and classify that row alone.
            var lastRow = x.Slice((rows - 1) * dim, dim);
            RmsNorm.Forward(lastRow, w.FinalNorm.Span, xn[..dim], 1, dim, _c.RmsEps);
            Linear(xn[..dim], 1, dim, w.Classifier, w.StoredClassifier, null, default, _logits.Span, _c.VocabSize, add: false);
        }
    }

    /// <summary>
    /// x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n) with n = rmsnorm(x); keys and values of the block are written
    /// straight into the cache rows of their positions. Rows before <paramref name="first"/> need no output (the last
    /// layer of a block whose logits are not asked for): only their keys and values are computed, as llama.cpp does.
    /// </summary>
    private void AttentionBlock(int layer, int rows, int pos0, int first)
    {
        var lw = _model.Weights.Layers[layer];
        var packed = _model.Packed?.Layers[layer];
        var st = lw.Stored;
        int dim = _c.Dim, kvDim = _c.KvDim, qDim = _c.QDim, m = rows - first;
        var x = _x.Span[..(rows * dim)];
        var xn = _xn.Span[..(rows * dim)];
        var q = _q.Span[..(m * qDim)];
        var k = _cache.Keys(layer, pos0, rows);
        var v = _cache.Values(layer, pos0, rows);

        RmsNorm.Forward(x, lw.AttnNorm.Span, xn, rows, dim, _c.RmsEps);
        if (first == 0 && st is null && (packed is null || rows < PackedMinRows))
        {
            // Decode rows (and unpacked models): every output row of q, k and v goes to the workers in one run.
            MatMulFused.XWt3(
                xn, rows, dim, lw.Wq.Span, Bias(lw.Bq), q, qDim, lw.Wk.Span, Bias(lw.Bk), k, kvDim, lw.Wv.Span, Bias(lw.Bv), v, kvDim,
                Pool(rows, dim, qDim + (2 * kvDim)));
        }
        else if (first == 0 && st is { Wq: { } sq, Wk: { } sk, Wv: { } sv } && sq.Type == sk.Type && sk.Type == sv.Type)
        {
            // Stored-type weights: x is prepared (quantised) once for q, k and v, and decode rows take one run of the workers.
            StoredMatMul.XWt3(
                xn, rows, dim, sq.Type, sq.Bytes, Bias(lw.Bq), q, qDim, sk.Bytes, Bias(lw.Bk), k, kvDim, sv.Bytes, Bias(lw.Bv), v, kvDim,
                Pool(rows, dim, qDim + (2 * kvDim)));
        }
        else
        {
            if (m > 0)
            {
                Linear(xn[(first * dim)..], m, dim, lw.Wq, st?.Wq, packed?.Wq, Bias(lw.Bq), q, qDim, add: false);
            }

            Linear(xn, rows, dim, lw.Wk, st?.Wk, packed?.Wk, Bias(lw.Bk), k, kvDim, add: false);
            Linear(xn, rows, dim, lw.Wv, st?.Wv, packed?.Wv, Bias(lw.Bv), v, kvDim, add: false);
        }

        if (lw.QNorm is { } qn && lw.KNorm is { } kn)
        {
            RmsNorm.Forward(q, qn.Span, q, m * _c.Heads, _c.HeadDim, _c.RmsEps);
            RmsNorm.Forward(k, kn.Span, k, rows * _c.KvHeads, _c.HeadDim, _c.RmsEps);
        }

        if (_c.RopeLayout == RopeLayout.Interleaved)
        {
            Rope.ApplyInterleaved(_cos.Span, _sin.Span, q, m, _c.Heads, _c.HeadDim, pos0 + first);
            Rope.ApplyInterleaved(_cos.Span, _sin.Span, k, rows, _c.KvHeads, _c.HeadDim, pos0);
        }
        else
        {
            Rope.ApplyHalf(_cos.Span, _sin.Span, q, m, _c.Heads, _c.HeadDim, pos0 + first);
            Rope.ApplyHalf(_cos.Span, _sin.Span, k, rows, _c.KvHeads, _c.HeadDim, pos0);
        }

        _cache.Commit(layer, pos0, rows);

        if (m == 0)
        {
            return;
        }

        Attend(layer, m, pos0 + first);
        Linear(_att.Span[..(m * qDim)], m, qDim, lw.Wo, st?.Wo, packed?.Wo, default, x[(first * dim)..], dim, add: true); // residual
    }

    /// <summary>x += W_down · (silu(W_gate·n) ⊙ W_up·n) with n = rmsnorm(x), for rows <paramref name="first"/>.. only.</summary>
    private void FeedForwardBlock(int layer, int rows, int first)
    {
        int m = rows - first;
        if (m == 0)
        {
            return;
        }

        var lw = _model.Weights.Layers[layer];
        var packed = _model.Packed?.Layers[layer];
        var st = lw.Stored;
        int dim = _c.Dim, hidden = _c.HiddenDim;
        var x = _x.Span.Slice(first * dim, m * dim);
        var xn = _xn.Span[..(m * dim)];
        var gate = _gate.Span[..(m * hidden)];
        var up = _up.Span[..(m * hidden)];
        RmsNorm.Forward(x, lw.FfnNorm.Span, xn, m, dim, _c.RmsEps);
        if (st is null && (packed is null || m < PackedMinRows))
        {
            MatMulFused.XWt2(xn, m, dim, lw.WGate.Span, default, gate, hidden, lw.WUp.Span, default, up, hidden, Pool(m, dim, 2 * hidden));
        }
        else if (st is { WGate: { } sg, WUp: { } su } && sg.Type == su.Type)
        {
            StoredMatMul.XWt3(xn, m, dim, sg.Type, sg.Bytes, default, gate, hidden, su.Bytes, default, up, hidden, default, default, default, 0, Pool(m, dim, 2 * hidden));
        }
        else
        {
            Linear(xn, m, dim, lw.WGate, st?.WGate, packed?.WGate, default, gate, hidden, add: false);
            Linear(xn, m, dim, lw.WUp, st?.WUp, packed?.WUp, default, up, hidden, add: false);
        }

        Activations.SwiGlu(gate, up, gate, _pool);
        Linear(gate, m, hidden, lw.WDown, st?.WDown, packed?.WDown, default, x, dim, add: true); // residual
    }

    /// <summary>y (+)= x·Wᵀ (+ bias) for x [m, k], W [n, k]: from the stored-type matrix when the weight is held in one,
    /// from the packed copy when there is one and the block is wide enough for the blocked kernel (equal bits), else
    /// from the row-major weights (decode rows read them at memory bandwidth).</summary>
    private void Linear(ReadOnlySpan<float> x, int m, int k, Tensor w, StoredMatrix? stored, Tensor? packed, ReadOnlySpan<float> bias, Span<float> y, int n, bool add)
    {
        var pool = Pool(m, k, n);
        if (stored is { } s)
        {
            if (add)
            {
                StoredMatMul.XWtAdd(x, s.Bytes, s.Type, bias, y, m, k, n, pool);
            }
            else
            {
                StoredMatMul.XWt(x, s.Bytes, s.Type, bias, y, m, k, n, pool);
            }
        }
        else if (packed is { } p && m >= PackedMinRows)
        {
            if (add)
            {
                PackedMatMul.MultiplyAdd(x, p.Span, bias, y, m, k, n, pool);
            }
            else
            {
                PackedMatMul.Multiply(x, p.Span, bias, y, m, k, n, pool);
            }
        }
        else if (add)
        {
            MatMul.XWtAdd(x, w.Span, bias, y, m, k, n, pool);
        }
        else
        {
            MatMul.XWt(x, w.Span, bias, y, m, k, n, pool);
        }
    }

    private static ReadOnlySpan<float> Bias(Tensor? t) => t is { } b ? b.Span : default;

    /// <summary>Blocks of fewer rows than this use the row-major weights (the row kernels of <see cref="MatMul"/>).</summary>
    private const int PackedMinRows = 4;

    /// <summary>Frees the KV cache and activations.</summary>
    public void Dispose() => _arena.Dispose();

    /// <summary>
    /// Causal attention of the block's rows over the cache (<see cref="KvCache.Attend"/>),
    /// in groups of rows whose probabilities fit the session's buffer; a sliding window (Mistral) limits each row to
    /// its last <see cref="LlamaConfig.SlidingWindow"/> positions.
    /// </summary>
    private void Attend(int layer, int rows, int pos0)
    {
        int qDim = _c.QDim;
        for (int r0 = 0; r0 < rows; r0 += _attentionRows)
        {
            int n = Math.Min(_attentionRows, rows - r0), start = pos0 + r0;
            ReadOnlySpan<int> first = default;
            if (_c.SlidingWindow is { } window && start + n > window)
            {
                for (int t = 0; t < n; t++)
                {
                    _firstVisible[t] = Math.Max(0, start + t - window + 1);
                }

                first = _firstVisible.AsSpan(0, n);
            }

            _cache.Attend(
                layer, _q.Span.Slice(r0 * qDim, n * qDim), first, _probs.Span, _att.Span.Slice(r0 * qDim, n * qDim),
                n, start, _c.Heads, _attentionScale, Pool(n * _c.Heads, start + n, 2 * _c.HeadDim));
        }
    }

    /// <summary>
    /// The session's pool for an operation of m·k·n multiply-adds, or the calling thread alone when the operation is too
    /// small to repay waking the workers (tiny models such as stories260K, where a two-thread decode would mostly wait
    /// on synchronisation, and collapse when the machine is loaded). Results do not depend on the choice.
    /// </summary>
    private WorkerPool Pool(long m, long k, long n) => m * k * n >= ParallelMinMultiplyAdds ? _pool : WorkerPool.Single;
}
