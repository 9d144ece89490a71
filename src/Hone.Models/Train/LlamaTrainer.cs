using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// Training forward and backward of a Llama-family decoder (GQA, q/k/v biases, q/k norm, tied or untied classifier,
/// both RoPE layouts, sliding window) over a <see cref="TokenBatch"/>, with full fine-tuning or LoRA. Every activation
/// the backward needs, every gradient and all scratch live in one arena carved when the trainer is created for
/// (rows, sequence length), so a training step allocates nothing. Full fine-tuning updates the model's own weights in
/// place (the optimiser writes <see cref="TrainableParameter.Value"/>). Not thread-safe.
/// </summary>
public sealed partial class LlamaTrainer : ITrainableModel, IDisposable
{
    /// <summary>Fewest floats of logits held at once (the vocabulary projection runs in chunks of positions); the
    /// budget grows to a quarter of the model's weights (<see cref="LogitBudget"/>).</summary>
    private const long MinLogitBudget = 8L << 20;


    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly WorkerPool _pool;
    private readonly Arena _arena;
    private readonly LayerState[] _layers;
    private readonly TrainLinear _classifier;
    private readonly LinearScratch _scratch;
    private readonly List<TrainableParameter> _parameters = [];
    private readonly LoraOptions? _lora;
    private readonly int _chunk;
    private readonly int[] _tokens, _targets, _positions, _firstVisible, _active;
    private readonly float[] _lse;
    private readonly Tensor _res, _xnFinal, _cos, _sin, _gathered, _logits, _dRes, _dxn, _dq, _dk, _dv, _dAtt, _dGate, _dUp, _dAct, _attnScratch, _normScratch, _junk;
    private readonly Tensor? _embedGrad, _finalNormGrad;

    // Modules to save (LoRA only): trained copies of the token embedding and the output head, used while the adapters
    // are on; with adapters off the base's own rows are used (PEFT's ModulesToSaveWrapper passes through to the
    // original module). With tied embeddings the two are one tensor, as PEFT's ensure_weight_tying keeps them.
    private readonly bool _saveEmbed, _saveHead;
    private readonly Tensor? _savedEmbed, _savedEmbedGrad, _savedHead, _savedHeadGrad;
    private int _rows, _seq, _n;
    private bool _forwardDone;

    /// <summary>
    /// Creates a trainer for batches of up to <paramref name="maxRows"/> × <paramref name="maxSequenceLength"/> tokens.
    /// Without <paramref name="lora"/> every weight is trained (full fine-tuning); with it only the adapters are.
    /// </summary>
    /// <param name="model">The model; full fine-tuning changes its weights in place.</param>
    /// <param name="maxRows">Rows per batch.</param>
    /// <param name="maxSequenceLength">Positions per row (1..the model's maximum).</param>
    /// <param name="lora">LoRA options, or null for full fine-tuning.</param>
    /// <param name="pool">Workers for the matmuls and attention (default: the calling thread).</param>
    public LlamaTrainer(LlamaModel model, int maxRows, int maxSequenceLength, LoraOptions? lora = null, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Packed is not null)
        {
            throw new ArgumentException("The model was packed for inference (LlamaModel.PackForInference): its packed copy would go stale as training changes the weights. Train a model loaded without packing.", nameof(model));
        }

        if (model.Weights.HasStored)
        {
            throw new ArgumentException("The model holds stored-type (BF16/Q8_0/Q4_0) matrices for inference (LlamaModel.LoadForInference); training needs float32 weights: load it with LlamaModel.Load.", nameof(model));
        }

        _model = model;
        _c = model.Config;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSequenceLength, _c.MaxSeqLen);
        _pool = pool ?? WorkerPool.Single;
        _lora = lora;
        var targets = lora?.ResolveTargets() ?? [];
        var saved = lora?.ResolveModulesToSave() ?? [];

        // Tied embeddings: PEFT's ModulesToSaveWrapper deep-copies the module it wraps, so by default (ensure_weight_tying
        // False) a tied model comes apart: the saved embed_tokens copy trains as the input embedding while lm_head keeps
        // reading the frozen original (and a merge keeps only one of them). With ensure_weight_tying=True, naming either
        // module wraps both and keeps the wrappers tied. Hone matches the tied behaviour: one trained copy serves as the
        // input embedding and as the output head (the gradients of both uses add up in it), and the adapter export says
        // ensure_weight_tying and holds the same matrix under both names.
        _saveEmbed = saved.Contains(LlamaModules.EmbedTokens) || (_c.TiedEmbeddings && saved.Contains(LlamaModules.LmHead));
        _saveHead = saved.Contains(LlamaModules.LmHead) || (_c.TiedEmbeddings && saved.Contains(LlamaModules.EmbedTokens));
        MaxRows = maxRows;
        MaxSequenceLength = maxSequenceLength;
        int n = checked(maxRows * maxSequenceLength);
        _chunk = (int)Math.Clamp(LogitBudget(model) / _c.VocabSize, 1, n);
        _tokens = new int[n];
        _targets = new int[n];
        _positions = new int[n];
        _firstVisible = new int[n];
        _active = new int[n];
        _lse = new float[n];

        var plan = new ArenaPlan();
        bool full = lora is null;
        PlanTensors(plan, n, full, targets);
        _arena = plan.Create();
        try
        {
            var a = _arena;
            _res = a["res"];
            _xnFinal = a["x_norm_final"];
            _cos = a["rope_cos"];
            _sin = a["rope_sin"];
            _gathered = a["gathered"];
            _logits = a["logits"];
            _dRes = a["d_res"];
            _dxn = a["d_x_norm"];
            _dq = a["d_q"];
            _dk = a["d_k"];
            _dv = a["d_v"];
            _dAtt = a["d_attention"];
            _dGate = a["d_gate"];
            _dUp = a["d_up"];
            _dAct = a["d_act"];
            _attnScratch = a["attention_scratch"];
            _normScratch = a["norm_scratch"];
            _junk = a["frozen_norm_grad"];
            _scratch = new LinearScratch
            {
                Transposed = a["s_transposed"], WeightGrad = a["s_weight_grad"], DxPart = a["s_dx_part"], OutPart = a["s_out_part"],
                Dropped = a["s_dropped"], Du = a["s_du"], DuT = a["s_du_t"], BTransposed = a["s_b_t"],
            };
            _c.RopeTables(MaxSequenceLength, _cos.Span, _sin.Span);
            var w = model.Weights;
            _layers = new LayerState[_c.Layers];
            if (full)
            {
                _embedGrad = a[GradName("model.embed_tokens.weight")];
                _finalNormGrad = a[GradName("model.norm.weight")];
            }

            for (int l = 0; l < _c.Layers; l++)
            {
                _layers[l] = new LayerState(a, w.Layers[l], _c, l, full, lora, targets);
            }

            _classifier = new TrainLinear(w.Classifier, null, _c.VocabSize, _c.Dim)
            {
                WGrad = full ? a[GradName(_c.TiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")] : null,
            };
            if (_saveEmbed)
            {
                _savedEmbed = a[SavedName(LlamaModules.EmbedTokens)];
                _savedEmbedGrad = a[GradName(SavedName(LlamaModules.EmbedTokens))];
                w.TokenEmbedding.Span.CopyTo(_savedEmbed.Value.Span);
            }

            if (_saveHead)
            {
                bool shared = _c.TiedEmbeddings;
                _savedHead = shared ? _savedEmbed : a[SavedName(LlamaModules.LmHead)];
                _savedHeadGrad = shared ? _savedEmbedGrad : a[GradName(SavedName(LlamaModules.LmHead))];
                if (!shared)
                {
                    w.Classifier.Span.CopyTo(_savedHead!.Value.Span);
                }
            }

            if (full)
            {
                foreach (var (name, _) in LlamaWeights.Manifest(_c))
                {
                    bool decay = name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("norm", StringComparison.Ordinal);
                    _parameters.Add(new TrainableParameter(name, w.Arena[name], a[GradName(name)], decay));
                }
            }
            else
            {
                InitLora(lora!, targets);
                if (_savedEmbed is { } se)
                {
                    _parameters.Add(new TrainableParameter(SavedName(LlamaModules.EmbedTokens), se, _savedEmbedGrad!.Value, true));
                }

                if (_savedHead is { } sh && !_c.TiedEmbeddings)
                {
                    _parameters.Add(new TrainableParameter(SavedName(LlamaModules.LmHead), sh, _savedHeadGrad!.Value, true));
                }
            }
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public int VocabSize => _c.VocabSize;

    /// <inheritdoc />
    public int MaxSequenceLength { get; }

    /// <summary>Rows a batch may have.</summary>
    public int MaxRows { get; }

    /// <summary>The model trained.</summary>
    public LlamaModel Model => _model;

    /// <summary>Whether the trainer trains LoRA adapters (else every weight).</summary>
    public bool IsLora => _lora is not null;

    /// <inheritdoc />
    public IReadOnlyList<TrainableParameter> Parameters => _parameters;

    /// <inheritdoc />
    public bool HasAdapters => IsLora;

    /// <summary>
    /// Whether the LoRA adapters take part in the forward (default true). Switch off to score with the base model
    /// (e.g. DPO's reference log-probs); a backward after a forward without adapters yields no adapter gradients.
    /// </summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>Whether LoRA dropout applies (training); switch off for evaluation.</summary>
    public bool DropoutEnabled { get; set; } = true;

    /// <summary>The step the dropout masks are drawn for; advanced by one after every <see cref="Backward"/>.
    /// Set it to replay a step's masks (a resumed run restores it from its checkpoint).</summary>
    public long DropoutStep { get; set; }

    /// <summary>The arena holding activations, gradients and scratch.</summary>
    public Arena Arena => _arena;

    /// <inheritdoc />
    public WorkerPool Workers => _pool;

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.Grad.Span.Clear();
        }
    }

    /// <inheritdoc />
    public void Forward(TokenBatch batch, Span<float> targetLogProbs, Span<bool> argmaxCorrect)
    {
        Load(batch);
        int n = _n;
        if (targetLogProbs.Length < n || argmaxCorrect.Length < n)
        {
            throw new ArgumentException($"targetLogProbs and argmaxCorrect need {n} entries (rows × sequence length).");
        }

        _adaptersOn = AdaptersEnabled;
        _dropoutOn = DropoutEnabled;
        int dim = _c.Dim;
        var x0 = ResidualAt(0);
        var embed = _adaptersOn && _savedEmbed is { } se ? se : _model.Weights.TokenEmbedding;
        for (int i = 0; i < n; i++)
        {
            embed.Row(_tokens[i]).CopyTo(x0.Slice(i * dim, dim));
        }

        for (int l = 0; l < _c.Layers; l++)
        {
            AttentionForward(l);
            FeedForwardForward(l);
        }

        RmsNorm.Forward(ResidualAt(2 * _c.Layers), _model.Weights.FinalNorm.Span, _xnFinal.Span, n, dim, _c.RmsEps);
        ClassifierForward(targetLogProbs[..n], argmaxCorrect[..n]);
        _forwardDone = true;
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> coefficients)
    {
        if (!_forwardDone)
        {
            throw new InvalidOperationException("Backward needs a Forward first.");
        }

        int n = _n, dim = _c.Dim;
        if (coefficients.Length < n)
        {
            throw new ArgumentException($"coefficients holds {coefficients.Length} values; the last batch has {n} positions.", nameof(coefficients));
        }

        Span<float> dxn = _dxn.Span[..(n * dim)];
        ClassifierBackward(coefficients[..n], dxn);
        Span<float> dRes = _dRes.Span[..(n * dim)];
        RmsNorm.Backward(ResidualAt(2 * _c.Layers), _model.Weights.FinalNorm.Span, dxn, dRes,
            _finalNormGrad is { } fg ? fg.Span : _junk.Span[..dim], _normScratch.Span, n, dim, _c.RmsEps);
        for (int l = _c.Layers - 1; l >= 0; l--)
        {
            FeedForwardBackward(l);
            AttentionBackward(l);
        }

        if ((_embedGrad ?? (_adaptersOn ? _savedEmbedGrad : null)) is { } eg)
        {
            for (int i = 0; i < n; i++)
            {
                Span<float> row = eg.Row(_tokens[i]);
                TensorPrimitives.Add(row, dRes.Slice(i * dim, dim), row);
            }
        }

        DropoutStep++;
    }

    /// <summary>
    /// Most floats of logits held at once: a quarter of the model's weights (at least <see cref="MinLogitBudget"/>), so
    /// that the logits of a whole 512-token row of a 134M model (32000 tokens) or of Qwen2.5-0.5B (151936) stay from the
    /// forward for the backward instead of being recomputed (an extra classifier product per step, 6–9% of its FLOPs),
    /// for at most a sixteenth of full fine-tuning's weights, gradients and moments.
    /// </summary>
    private static long LogitBudget(LlamaModel model) => Math.Max(MinLogitBudget, model.Weights.Arena.UsedFloats / 4);

    /// <summary>Frees the arena (activations, gradients, adapters); the model stays.</summary>
    public void Dispose() => _arena.Dispose();

    /// <summary>Residual stream state s [rows·seq, dim]: 2l is layer l's input, 2l+1 its attention output, 2L the last.</summary>
    private Span<float> ResidualAt(int s) => _res.Span.Slice(s * MaxRows * MaxSequenceLength * _c.Dim, _n * _c.Dim);

    /// <summary>Copies and checks the batch; computes each position's first visible position (segments, window).</summary>
    private void Load(TokenBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Rows > MaxRows || batch.SequenceLength > MaxSequenceLength)
        {
            throw new ArgumentException(
                $"The batch is {batch.Rows} × {batch.SequenceLength}; this trainer holds at most {MaxRows} × {MaxSequenceLength}.", nameof(batch));
        }

        _forwardDone = false;
        _logitsKept = -1;
        _rows = batch.Rows;
        _seq = batch.SequenceLength;
        _n = _rows * _seq;
        int v = _c.VocabSize;
        for (int i = 0; i < _n; i++)
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

        for (int r = 0; r < _rows; r++)
        {
            int segStart = 0;
            for (int t = 0; t < _seq; t++)
            {
                int i = (r * _seq) + t;
                int seg = batch.SegmentIds[i];
                if (t > 0 && seg != batch.SegmentIds[i - 1])
                {
                    segStart = t;
                    for (int u = 0; u < t; u++)
                    {
                        if (seg != -1 && batch.SegmentIds[(r * _seq) + u] == seg)
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

    private static string GradName(string name) => "grad:" + name;

    /// <summary>Collects (name, shape) pairs, then carves one arena for all of them.</summary>
    private sealed class ArenaPlan
    {
        private readonly List<(string Name, int[] Shape)> _items = [];

        public void Add(string name, params int[] shape) => _items.Add((name, shape));

        public Arena Create()
        {
            var lengths = _items.Select(i => i.Shape.Aggregate(1L, (a, b) => checked(a * b))).ToArray();
            var arena = new Arena(Arena.FloatsFor(lengths));
            try
            {
                foreach (var (name, shape) in _items)
                {
                    arena.Allocate(name, shape);
                }

                return arena;
            }
            catch
            {
                arena.Dispose();
                throw;
            }
        }
    }
}
