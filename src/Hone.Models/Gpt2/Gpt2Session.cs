using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Gpt2;

/// <summary>
/// One running sequence of a <see cref="Gpt2Model"/>: KV cache and block activations carved from one arena at creation
/// (no allocation per token). <see cref="Forward(ReadOnlySpan{int})"/> appends tokens and returns the last logits.
/// Prompts go through the blocked matmul a block at a time; single tokens through the matvec path. Not thread-safe.
/// </summary>
public sealed class Gpt2Session : IInferenceSession
{
    /// <summary>Most floats of attention probabilities a session keeps.</summary>
    private const long ProbabilityBudget = 1L << 22;

    /// <summary>Operations with fewer multiply-adds than this run on the calling thread (about 10 µs of work).</summary>
    private const long ParallelMinMultiplyAdds = 1L << 17;

    private readonly Gpt2Model _model;
    private readonly Gpt2Config _c;
    private readonly WorkerPool _pool;
    private readonly Arena _arena;
    private readonly Tensor _x, _xn, _qkv, _q, _att, _hidden, _logits, _keys, _values, _probs;
    private readonly int _attentionRows;
    private readonly float _scale;

    internal Gpt2Session(Gpt2Model model, int maxContext, int blockSize, WorkerPool pool)
    {
        _model = model;
        _c = model.Config;
        _pool = pool;
        if (maxContext < 1 || maxContext > _c.MaxSeqLen)
        {
            throw new ArgumentOutOfRangeException(nameof(maxContext), maxContext, $"The context must be 1..{_c.MaxSeqLen} positions (GPT-2 has that many learned positions).");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        int b = Math.Min(blockSize, maxContext), d = _c.Dim;
        MaxContext = maxContext;
        BlockSize = b;
        long perRow = (long)_c.Heads * maxContext;
        _attentionRows = (int)Math.Clamp(ProbabilityBudget / perRow, 1, b);
        _scale = 1f / MathF.Sqrt(_c.HeadDim);
        long cache = checked((long)_c.Layers * maxContext * d);
        _arena = new Arena(Arena.FloatsFor(
            (long)b * d, (long)b * d, 3L * b * d, (long)b * d, (long)b * d, (long)b * _c.HiddenDim, _c.VocabSize, cache, cache, _attentionRows * perRow));
        try
        {
            _x = _arena.Allocate("x", b, d);
            _xn = _arena.Allocate("x_norm", b, d);
            _qkv = _arena.Allocate("qkv", b, 3 * d);
            _q = _arena.Allocate("q", b, d);
            _att = _arena.Allocate("attention", b, d);
            _hidden = _arena.Allocate("mlp_hidden", b, _c.HiddenDim);
            _logits = _arena.Allocate("logits", _c.VocabSize);
            _keys = _arena.Allocate("key_cache", _c.Layers, maxContext, d);
            _values = _arena.Allocate("value_cache", _c.Layers, maxContext, d);
            _probs = _arena.Allocate("attention_probs", _attentionRows, _c.Heads, maxContext);
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
    }

    /// <summary>The model this session runs.</summary>
    public Gpt2Model Model => _model;

    /// <inheritdoc/>
    public int VocabSize => _c.VocabSize;

    /// <inheritdoc/>
    public int? BosId => _c.BosId;

    /// <inheritdoc/>
    public IReadOnlyList<int> EosIds => _c.EosIds;

    /// <summary>Positions the KV cache holds.</summary>
    public int MaxContext { get; }

    /// <summary>Tokens processed together per block.</summary>
    public int BlockSize { get; }

    /// <summary>Number of tokens already in the KV cache (the position of the next token).</summary>
    public int Position { get; private set; }

    /// <summary>Forgets the sequence.</summary>
    public void Reset() => Position = 0;

    /// <summary>Drops every cached token from <paramref name="position"/> on.</summary>
    public void Rewind(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
        Position = position;
    }

    /// <summary>Appends <paramref name="tokens"/> and returns the logits [vocab] after the last one (valid until the next call).</summary>
    /// <exception cref="ContextOverflowException">The tokens do not fit in the remaining context.</exception>
    public ReadOnlySpan<float> Forward(scoped ReadOnlySpan<int> tokens)
    {
        Run(tokens, Span<float>.Empty);
        return _logits.Span;
    }

    /// <summary>Appends one token and returns the logits [vocab] after it.</summary>
    public ReadOnlySpan<float> Forward(int token) => Forward([token]);

    /// <summary>Appends <paramref name="tokens"/> and writes the logits of every one to <paramref name="logits"/> [tokens, vocab].</summary>
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
            ForwardBlock(tokens.Slice(start, rows), allLogits.IsEmpty ? allLogits : allLogits.Slice(start * _c.VocabSize, rows * _c.VocabSize), start + rows == tokens.Length);
        }
    }

    private void ForwardBlock(ReadOnlySpan<int> tokens, Span<float> allLogits, bool lastBlock)
    {
        int rows = tokens.Length, d = _c.Dim, pos0 = Position;
        var w = _model.Weights;
        var x = _x.Span[..(rows * d)];
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d);
            System.Numerics.Tensors.TensorPrimitives.Add(w.TokenEmbedding.Row(tokens[r]), w.PositionEmbedding.Row(pos0 + r), xr);
        }

        for (int l = 0; l < _c.Layers; l++)
        {
            AttentionBlock(l, rows, pos0);
            MlpBlock(l, rows);
        }

        Position = pos0 + rows;
        var xn = _xn.Span[..(rows * d)];
        if (!allLogits.IsEmpty)
        {
            LayerNorm.Forward(x, w.FinalNormWeight.Span, w.FinalNormBias.Span, xn, rows, d, _c.LayerNormEps);
            MatMul.XWt(xn, w.TokenEmbedding.Span, default, allLogits, rows, d, _c.VocabSize, Pool(rows, d, _c.VocabSize));
            allLogits.Slice((rows - 1) * _c.VocabSize, _c.VocabSize).CopyTo(_logits.Span);
        }
        else if (lastBlock)
        {
            // Only the last token's logits are asked for: normalise and classify that row alone.
            LayerNorm.Forward(x.Slice((rows - 1) * d, d), w.FinalNormWeight.Span, w.FinalNormBias.Span, xn[..d], 1, d, _c.LayerNormEps);
            MatMul.XWt(xn[..d], w.TokenEmbedding.Span, default, _logits.Span, 1, d, _c.VocabSize, Pool(1, d, _c.VocabSize));
        }
    }

    /// <summary>x += c_proj(attention(split(c_attn(ln_1(x))))); keys and values go straight into the cache.</summary>
    private void AttentionBlock(int layer, int rows, int pos0)
    {
        var lw = _model.Weights.Layers[layer];
        int d = _c.Dim;
        var x = _x.Span[..(rows * d)];
        var xn = _xn.Span[..(rows * d)];
        var qkv = _qkv.Span[..(rows * 3 * d)];
        LayerNorm.Forward(x, lw.Ln1Weight.Span, lw.Ln1Bias.Span, xn, rows, d, _c.LayerNormEps);
        MatMul.XW(xn, lw.AttnWeight.Span, lw.AttnBias.Span, qkv, rows, d, 3 * d, Pool(rows, d, 3 * d));
        var keys = _keys.Row(layer);
        var values = _values.Row(layer);
        var q = _q.Span;
        for (int r = 0; r < rows; r++)
        {
            var row = qkv.Slice(r * 3 * d, 3 * d);
            row[..d].CopyTo(q.Slice(r * d, d));
            row.Slice(d, d).CopyTo(keys.Slice((pos0 + r) * d, d));
            row.Slice(2 * d, d).CopyTo(values.Slice((pos0 + r) * d, d));
        }

        for (int r0 = 0; r0 < rows; r0 += _attentionRows)
        {
            int n = Math.Min(_attentionRows, rows - r0);
            Attention.Forward(
                q.Slice(r0 * d, n * d), keys, values, _probs.Span, _att.Span.Slice(r0 * d, n * d),
                n, pos0 + r0, _c.Heads, _c.Heads, _c.HeadDim, _scale, Pool(n * _c.Heads, pos0 + r0 + n, 2 * _c.HeadDim));
        }

        MatMul.XWAdd(_att.Span[..(rows * d)], lw.ProjWeight.Span, lw.ProjBias.Span, x, rows, d, d, Pool(rows, d, d)); // residual
    }

    /// <summary>x += mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x)))).</summary>
    private void MlpBlock(int layer, int rows)
    {
        var lw = _model.Weights.Layers[layer];
        int d = _c.Dim, hidden = _c.HiddenDim;
        var x = _x.Span[..(rows * d)];
        var xn = _xn.Span[..(rows * d)];
        var h = _hidden.Span[..(rows * hidden)];
        LayerNorm.Forward(x, lw.Ln2Weight.Span, lw.Ln2Bias.Span, xn, rows, d, _c.LayerNormEps);
        MatMul.XW(xn, lw.FcWeight.Span, lw.FcBias.Span, h, rows, d, hidden, Pool(rows, d, hidden));
        Activations.Gelu(h, h);
        MatMul.XWAdd(h, lw.FcProjWeight.Span, lw.FcProjBias.Span, x, rows, hidden, d, Pool(rows, hidden, d)); // residual
    }

    /// <summary>Frees the KV cache and activations.</summary>
    public void Dispose() => _arena.Dispose();

    /// <summary>
    /// The session's pool for an operation of m·k·n multiply-adds, or the calling thread alone when the operation is too
    /// small to repay waking the workers (tiny models such as stories260K, where a two-thread decode would mostly wait
    /// on synchronisation, and collapse when the machine is loaded). Results do not depend on the choice.
    /// </summary>
    private WorkerPool Pool(long m, long k, long n) => m * k * n >= ParallelMinMultiplyAdds ? _pool : WorkerPool.Single;
}
