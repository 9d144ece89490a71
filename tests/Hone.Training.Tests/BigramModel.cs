using Hone.Models;
using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Training.Tests;

/// <summary>
/// A test model with an exact backward: a bigram softmax model, logits(next | token) = W[token, :] + b, so
/// log p(y | x) = W[x, y] + b[y] − logsumexp(W[x, :] + b) and d log p / d W[x, v] = 1[v = y] − p(v | x) (same for b).
/// </summary>
public sealed class BigramModel : ITrainableModel, IDisposable
{
    private readonly Arena _arena;
    private readonly Tensor _w, _b, _gw, _gb;
    private float[] _probs = [];
    private int[] _tokens = [];
    private int[] _targets = [];

    public BigramModel(int vocab, int maxSequenceLength, int seed)
    {
        VocabSize = vocab;
        MaxSequenceLength = maxSequenceLength;
        _arena = new Arena(Arena.FloatsFor(vocab * vocab, vocab, vocab * vocab, vocab));
        _w = _arena.Allocate("w", vocab, vocab);
        _b = _arena.Allocate("b", vocab);
        _gw = _arena.Allocate("w.grad", vocab, vocab);
        _gb = _arena.Allocate("b.grad", vocab);
        var rng = new Random(seed);
        foreach (ref var x in _w.Span) x = (float)((rng.NextDouble() - 0.5) * 0.2);
        Parameters = [new TrainableParameter("w", _w, _gw, true), new TrainableParameter("b", _b, _gb, false)];
    }

    public int VocabSize { get; }
    public int MaxSequenceLength { get; }
    public IReadOnlyList<TrainableParameter> Parameters { get; }
    public int ForwardCalls { get; private set; }

    public void Forward(TokenBatch batch, Span<float> targetLogProbs, Span<bool> argmaxCorrect)
    {
        ForwardCalls++;
        ForwardModes.Add((AdaptersEnabled, DropoutEnabled));
        int n = batch.Rows * batch.SequenceLength, v = VocabSize;
        if (_probs.Length < n * v) _probs = new float[n * v];
        _tokens = batch.Tokens;
        _targets = batch.Targets;
        var w = _w.Span;
        var b = _b.Span;
        for (int t = 0; t < n; t++)
        {
            var p = _probs.AsSpan(t * v, v);
            int x = batch.Tokens[t];
            double max = double.NegativeInfinity;
            int arg = 0;
            for (int j = 0; j < v; j++)
            {
                p[j] = w[(x * v) + j] + b[j];
                if (p[j] > max) { max = p[j]; arg = j; }
            }
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.Exp(p[j] - max);
            double lse = max + Math.Log(sum);
            int y = batch.Targets[t];
            targetLogProbs[t] = y < 0 ? 0 : (float)(p[y] - lse);
            argmaxCorrect[t] = y >= 0 && arg == y;
            for (int j = 0; j < v; j++) p[j] = (float)Math.Exp(p[j] - lse);
        }
    }

    public void Backward(ReadOnlySpan<float> coefficients)
    {
        int v = VocabSize;
        var gw = _gw.Span;
        var gb = _gb.Span;
        for (int t = 0; t < coefficients.Length; t++)
        {
            float c = coefficients[t];
            int y = _targets[t];
            if (c == 0 || y < 0) continue;
            int x = _tokens[t];
            var p = _probs.AsSpan(t * v, v);
            for (int j = 0; j < v; j++)
            {
                float d = c * ((j == y ? 1f : 0f) - p[j]);
                gw[(x * v) + j] += d;
                gb[j] += d;
            }
        }
    }

    public void ZeroGrad()
    {
        _gw.Span.Clear();
        _gb.Span.Clear();
    }

    /// <summary>Whether the model says it has adapters (it has none: the switch only shows in <see cref="ForwardModes"/>).</summary>
    public bool HasAdapters { get; init; }

    /// <summary>The adapter and dropout switches at each forward pass.</summary>
    public List<(bool Adapters, bool Dropout)> ForwardModes { get; } = [];

    public bool AdaptersEnabled { get; set; } = true;

    public bool DropoutEnabled { get; set; } = true;

    public long DropoutStep { get; set; }

    public IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null) =>
        throw new NotSupportedException("The bigram test model has no inference session.");

    public float[] Snapshot() => [.. _w.Span.ToArray(), .. _b.Span.ToArray()];

    public void Dispose() => _arena.Dispose();
}
