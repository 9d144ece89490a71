using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Train;

/// <summary>
/// Data-parallel training of a small model: a fixed number of shards, each a <see cref="LlamaTrainer"/> on one thread
/// with its own arena, split every batch by rows (shard k takes the k-th run of rows, the first shards one row more
/// when the rows do not divide), run their forward and backward passes side by side on the pool's workers, and add
/// their gradients into shard 0's in shard order after every backward. Shard 0's parameters are the ones the
/// optimiser updates; the other shards read the same weights (full fine-tuning trains the model's own weights, which
/// all shards share) or a copy refreshed before every forward (LoRA's adapters live in each shard's arena).
/// </summary>
/// <remarks>
/// The shards, not the threads, fix the arithmetic: results depend on the shard count (each shard sums its rows'
/// gradients, then the shards' sums are added in order) and never on the threads, which only decide how many shards
/// run at once. For a model whose matrices are too small to split well across threads (the demo's built-in model: a
/// step's matmuls are tens of microseconds), this keeps every core busy where <see cref="LlamaTrainer"/>'s own
/// parallel kernels would leave one mostly idle. Each shard holds a full set of activations and gradients, and LoRA's
/// adapters are copied to every shard before each forward: meant for small models. LoRA dropout draws its masks per
/// shard (element indices count from each shard's first row), so a dropout run differs from the unsharded one.
/// </remarks>
public sealed class DataParallelTrainer : ITrainableModel, IDisposable
{
    private readonly WorkerPool _pool;
    private readonly LlamaTrainer[] _shards;
    private readonly bool[] _sharedValues;
    private readonly float[][] _logProbs, _coefficients;
    private readonly bool[][] _correct;
    private readonly Dictionary<(int Rows, int Length), TokenBatch>[] _batches;
    private readonly int[] _rowStart, _rowCount;
    private readonly ShardWork _work;
    private int _seq;
    private bool _forwardDone;

    /// <summary>
    /// Creates <paramref name="shards"/> trainers over <paramref name="model"/> for batches of up to
    /// <paramref name="maxRows"/> × <paramref name="maxSequenceLength"/> (each shard holds its share of the rows).
    /// </summary>
    /// <param name="model">The model; full fine-tuning changes its weights in place.</param>
    /// <param name="maxRows">Rows per batch.</param>
    /// <param name="maxSequenceLength">Positions per row.</param>
    /// <param name="shards">Shards (2 or more): fixed for a run, since results depend on it.</param>
    /// <param name="lora">LoRA options, or null for full fine-tuning.</param>
    /// <param name="pool">Workers that run the shards (and the optimiser); default the calling thread.</param>
    public DataParallelTrainer(LlamaModel model, int maxRows, int maxSequenceLength, int shards, LoraOptions? lora = null, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        _pool = pool ?? WorkerPool.Single;
        int rowsPerShard = (maxRows + shards - 1) / shards;
        _shards = new LlamaTrainer[shards];
        try
        {
            for (int k = 0; k < shards; k++)
            {
                _shards[k] = new LlamaTrainer(model, rowsPerShard, maxSequenceLength, lora, WorkerPool.Single);
            }
        }
        catch
        {
            foreach (var s in _shards) s?.Dispose();
            throw;
        }

        MaxRows = maxRows;
        int n = checked(rowsPerShard * maxSequenceLength);
        _logProbs = new float[shards][];
        _coefficients = new float[shards][];
        _correct = new bool[shards][];
        _batches = new Dictionary<(int, int), TokenBatch>[shards];
        for (int k = 0; k < shards; k++)
        {
            _logProbs[k] = new float[n];
            _coefficients[k] = new float[n];
            _correct[k] = new bool[n];
            _batches[k] = [];
        }

        _rowStart = new int[shards];
        _rowCount = new int[shards];
        var first = _shards[0].Parameters;
        _sharedValues = new bool[first.Count];
        for (int i = 0; i < first.Count; i++)
        {
            _sharedValues[i] = first[i].Value.Span.Overlaps(_shards[1].Parameters[i].Value.Span);
        }

        _work = new ShardWork(this);
    }

    /// <summary>The number of shards.</summary>
    public int Shards => _shards.Length;

    /// <summary>Rows a batch may have.</summary>
    public int MaxRows { get; }

    /// <inheritdoc />
    public int VocabSize => _shards[0].VocabSize;

    /// <inheritdoc />
    public int MaxSequenceLength => _shards[0].MaxSequenceLength;

    /// <inheritdoc />
    public IReadOnlyList<TrainableParameter> Parameters => _shards[0].Parameters;

    /// <inheritdoc />
    public WorkerPool Workers => _pool;

    /// <inheritdoc />
    public bool HasAdapters => _shards[0].HasAdapters;

    /// <summary>Whether the shards train LoRA adapters (else every weight).</summary>
    public bool IsLora => _shards[0].IsLora;

    /// <inheritdoc />
    public bool AdaptersEnabled
    {
        get => _shards[0].AdaptersEnabled;
        set
        {
            foreach (var s in _shards) s.AdaptersEnabled = value;
        }
    }

    /// <inheritdoc />
    public bool DropoutEnabled
    {
        get => _shards[0].DropoutEnabled;
        set
        {
            foreach (var s in _shards) s.DropoutEnabled = value;
        }
    }

    /// <inheritdoc />
    public long DropoutStep
    {
        get => _shards[0].DropoutStep;
        set
        {
            foreach (var s in _shards) s.DropoutStep = value;
        }
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var s in _shards) s.ZeroGrad();
    }

    /// <inheritdoc />
    public void Forward(TokenBatch batch, Span<float> targetLogProbs, Span<bool> argmaxCorrect)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Rows > MaxRows)
        {
            throw new ArgumentException($"The batch has {batch.Rows} rows; this trainer holds at most {MaxRows}.", nameof(batch));
        }

        int seq = batch.SequenceLength, n = batch.Rows * seq;
        if (targetLogProbs.Length < n || argmaxCorrect.Length < n)
        {
            throw new ArgumentException($"targetLogProbs and argmaxCorrect need {n} entries (rows × sequence length).");
        }

        _forwardDone = false;
        SyncValues();
        int s = _shards.Length, start = 0;
        for (int k = 0; k < s; k++)
        {
            int rows = (batch.Rows / s) + (k < batch.Rows % s ? 1 : 0);
            _rowStart[k] = start;
            _rowCount[k] = rows;
            start += rows;
            if (rows > 0) Slice(batch, k, seq);
        }

        _seq = seq;
        RunShards(backward: false);
        for (int k = 0; k < s; k++)
        {
            int from = _rowStart[k] * seq, count = _rowCount[k] * seq;
            _logProbs[k].AsSpan(0, count).CopyTo(targetLogProbs.Slice(from, count));
            _correct[k].AsSpan(0, count).CopyTo(argmaxCorrect.Slice(from, count));
        }

        _forwardDone = true;
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> coefficients)
    {
        if (!_forwardDone)
        {
            throw new InvalidOperationException("Backward needs a Forward first.");
        }

        int total = (_rowStart[^1] + _rowCount[^1]) * _seq;
        if (coefficients.Length < total)
        {
            throw new ArgumentException($"coefficients holds {coefficients.Length} values; the last batch has {total} positions.", nameof(coefficients));
        }

        for (int k = 0; k < _shards.Length; k++)
        {
            coefficients.Slice(_rowStart[k] * _seq, _rowCount[k] * _seq).CopyTo(_coefficients[k]);
        }

        RunShards(backward: true);
        _pool.Run(_work.Reduce, Parameters.Count);
        long step = _shards[0].DropoutStep;
        foreach (var sh in _shards) sh.DropoutStep = step; // a shard without rows ran no backward
    }

    /// <summary>An inference session over shard 0's weights (adapters folded in): see <see cref="LlamaTrainer.OpenSamplingSession"/>.</summary>
    public IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null) => _shards[0].OpenSamplingSession(maxContext, pool);

    /// <summary>A copy of the weights with the adapters folded in: see <see cref="LlamaTrainer.MergedWeights"/>.</summary>
    public LlamaWeights MergedWeights() => _shards[0].MergedWeights();

    /// <summary>Frees every shard's arena; the model stays.</summary>
    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }

    /// <summary>Copies shard 0's trained values to the other shards where they do not share them (LoRA's adapters).</summary>
    private void SyncValues()
    {
        var first = _shards[0].Parameters;
        for (int i = 0; i < first.Count; i++)
        {
            if (_sharedValues[i]) continue;
            for (int k = 1; k < _shards.Length; k++)
            {
                first[i].Value.Span.CopyTo(_shards[k].Parameters[i].Value.Span);
            }
        }
    }

    /// <summary>Copies rows [start, start + count) of <paramref name="batch"/> into shard <paramref name="k"/>'s batch of that shape.</summary>
    private void Slice(TokenBatch batch, int k, int seq)
    {
        int rows = _rowCount[k];
        if (!_batches[k].TryGetValue((rows, seq), out var part))
        {
            part = new TokenBatch(rows, seq);
            _batches[k][(rows, seq)] = part;
        }

        int from = _rowStart[k] * seq, count = rows * seq;
        Array.Copy(batch.Tokens, from, part.Tokens, 0, count);
        Array.Copy(batch.Targets, from, part.Targets, 0, count);
        Array.Copy(batch.Positions, from, part.Positions, 0, count);
        Array.Copy(batch.SegmentIds, from, part.SegmentIds, 0, count);
        _work.Batches[k] = part;
    }

    private void RunShards(bool backward)
    {
        _work.Backward = backward;
        try
        {
            _pool.Run(_work, _shards.Length);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }

    /// <summary>The shards' passes (item k: shard k) and the gradient reduction (item i: parameter i).</summary>
    private sealed class ShardWork(DataParallelTrainer owner) : IParallelWork
    {
        public readonly TokenBatch?[] Batches = new TokenBatch?[owner._shards.Length];
        public readonly ReduceWork Reduce = new(owner);

        public bool Backward { get; set; }

        public void Execute(int index, int worker)
        {
            if (owner._rowCount[index] == 0) return;
            var shard = owner._shards[index];
            int n = owner._rowCount[index] * owner._seq;
            if (Backward) shard.Backward(owner._coefficients[index].AsSpan(0, n));
            else shard.Forward(Batches[index]!, owner._logProbs[index].AsSpan(0, n), owner._correct[index].AsSpan(0, n));
        }
    }

    /// <summary>Adds every other shard's gradient of one parameter into shard 0's, in shard order, and clears it.</summary>
    private sealed class ReduceWork(DataParallelTrainer owner) : IParallelWork
    {
        public void Execute(int index, int worker)
        {
            Span<float> sum = owner._shards[0].Parameters[index].Grad.Span;
            for (int k = 1; k < owner._shards.Length; k++)
            {
                if (owner._rowCount[k] == 0) continue;
                Span<float> g = owner._shards[k].Parameters[index].Grad.Span;
                TensorPrimitives.Add(sum, g, sum);
                g.Clear();
            }
        }
    }
}
