using Hone.Models.Llama;

namespace Hone.Models.Train;

/// <summary>
/// The batch a training pass runs over and the switches it runs with: the tokens, targets and positions of the last
/// batch loaded (checked and copied into buffers sized once for the trainer's rows × sequence length), each position's
/// first visible position (packed segments, sliding window), whether the adapters and dropout take part, and the
/// dropout mask key of every adapter for the current step. The forward and backward of every block read it.
/// </summary>
internal sealed class TrainPass
{
    private readonly LlamaConfig _c;
    private readonly LoraOptions? _lora;
    private readonly int[] _tokens, _targets, _positions, _firstVisible;

    /// <summary>Buffers for batches of up to <paramref name="maxRows"/> × <paramref name="maxSequenceLength"/>.</summary>
    public TrainPass(LlamaConfig config, int maxRows, int maxSequenceLength, LoraOptions? lora)
    {
        _c = config;
        _lora = lora;
        MaxRows = maxRows;
        MaxSequenceLength = maxSequenceLength;
        int n = checked(maxRows * maxSequenceLength);
        _tokens = new int[n];
        _targets = new int[n];
        _positions = new int[n];
        _firstVisible = new int[n];
    }

    /// <summary>Rows a batch may have.</summary>
    public int MaxRows { get; }

    /// <summary>Positions a batch row may have.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Rows of the loaded batch.</summary>
    public int Rows { get; private set; }

    /// <summary>Positions per row of the loaded batch.</summary>
    public int Seq { get; private set; }

    /// <summary>Positions of the loaded batch (rows × sequence length).</summary>
    public int N { get; private set; }

    /// <summary>Input token of every position of the loaded batch (the first <see cref="N"/> entries).</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>Target of every position, or <see cref="TokenBatch.IgnoreTarget"/>.</summary>
    public ReadOnlySpan<int> Targets => _targets;

    /// <summary>RoPE position of every position.</summary>
    public ReadOnlySpan<int> Positions => _positions;

    /// <summary>First position (within its row) that each position attends to.</summary>
    public ReadOnlySpan<int> FirstVisible => _firstVisible;

    /// <summary>Whether the last forward ran over the loaded batch (and a backward may follow).</summary>
    public bool ForwardDone { get; set; }

    /// <summary>Whether the adapters (and the trained copies of modules to save) took part in the last forward.</summary>
    public bool AdaptersOn { get; set; }

    /// <summary>Whether LoRA dropout applied in the last forward.</summary>
    public bool DropoutOn { get; set; }

    /// <summary>The step the dropout masks are drawn for (see <see cref="LlamaTrainer.DropoutStep"/>).</summary>
    public long DropoutStep { get; set; }

    /// <summary>The dropout of one adapter (layer, module index in <see cref="LlamaModules.Linear"/>) for this step;
    /// none when dropout is off or its probability is 0.</summary>
    public TrainLinear.Dropout DropFor(int layer, int module) =>
        DropoutOn && _lora is { Dropout: > 0 } lo ? new(LoraDropout.Key(lo.Seed, DropoutStep, layer, module), lo.Dropout) : default;

    /// <summary>Copies and checks the batch; computes each position's first visible position (segments, window).</summary>
    public void Load(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Rows > MaxRows || batch.SequenceLength > MaxSequenceLength)
        {
            throw new ArgumentException(
                $"The batch is {batch.Rows} × {batch.SequenceLength}; this trainer holds at most {MaxRows} × {MaxSequenceLength}.", nameof(batch));
        }

        ForwardDone = false;
        Rows = batch.Rows;
        Seq = batch.SequenceLength;
        N = Rows * Seq;
        int v = _c.VocabSize;
        for (int i = 0; i < N; i++)
        {
            int tok = batch.Tokens[i], target = batch.Targets[i], pos = batch.Positions[i];
            if ((uint)tok >= (uint)v)
            {
                throw new ArgumentException($"Token {tok} at index {i} is outside the vocabulary (0..{v - 1}).", nameof(batch));
            }

            if (target != TokenBatch.IgnoreTarget && (uint)target >= (uint)v)
            {
                throw new ArgumentException($"Target {target} at index {i} is outside the vocabulary (0..{v - 1}) and is not -1.", nameof(batch));
            }

            if ((uint)pos >= (uint)MaxSequenceLength)
            {
                throw new ArgumentException($"Position {pos} at index {i} is outside 0..{MaxSequenceLength - 1}.", nameof(batch));
            }

            _tokens[i] = tok;
            _targets[i] = target;
            _positions[i] = pos;
        }

        for (int r = 0; r < Rows; r++)
        {
            int segStart = 0;
            for (int t = 0; t < Seq; t++)
            {
                int i = (r * Seq) + t;
                int seg = batch.SegmentIds[i];
                if (t > 0 && seg != batch.SegmentIds[i - 1])
                {
                    segStart = t;
                    for (int u = 0; u < t; u++)
                    {
                        if (seg != -1 && batch.SegmentIds[(r * Seq) + u] == seg)
                        {
                            throw new ArgumentException($"Row {r}: segment {seg} is not contiguous (it reappears at position {t}).", nameof(batch));
                        }
                    }
                }

                int first = seg == -1 ? t : segStart;
                if (_c.SlidingWindow is { } window)
                {
                    first = Math.Max(first, t - window + 1);
                }

                _firstVisible[i] = first;
            }
        }
    }
}
