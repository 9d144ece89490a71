using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// Training forward and backward of a Llama-family decoder (GQA, q/k/v biases, q/k norm, tied or untied classifier,
/// both RoPE layouts, sliding window) over a <see cref="TokenBatch"/>, with full fine-tuning or LoRA. Every activation
/// the backward needs, every gradient and all scratch live in one arena (<see cref="TrainerArena"/>) carved when the
/// trainer is created for (rows, sequence length), so a training step allocates nothing. Full fine-tuning updates the
/// model's own weights in place (the optimiser writes <see cref="TrainableParameter.Value"/>). Not thread-safe.
/// </summary>
/// <remarks>
/// The trainer composes the pass: the embedding lookup, the layers (<see cref="TrainLayer"/>), the final norm and the
/// output head (<see cref="TrainClassifier"/>) over the loaded batch (<see cref="TrainPass"/>), with LoRA's trained
/// copies of the embedding and head (<see cref="SavedModules"/>) and the merge of the adapters (<see cref="LoraMerge"/>).
/// </remarks>
public sealed class LlamaTrainer : ITrainableModel, IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly WorkerPool _pool;
    private readonly LoraOptions? _lora;
    private readonly TrainerArena _arena;
    private readonly TrainPass _pass;
    private readonly TrainLayer[] _layers;
    private readonly TrainClassifier _classifier;
    private readonly SavedModules _saved;
    private readonly LoraMerge _merge;
    private readonly List<TrainableParameter> _parameters = [];
    private readonly Tensor? _embedGrad, _finalNormGrad;

    /// <summary>
    /// Creates a trainer for batches of up to <paramref name="maxRows"/> × <paramref name="maxSequenceLength"/> tokens.
    /// Without <paramref name="lora"/> every weight is trained (full fine-tuning); with it only the adapters are.
    /// </summary>
    /// <param name="model">The model; full fine-tuning changes its weights in place.</param>
    /// <param name="maxRows">Rows per batch.</param>
    /// <param name="maxSequenceLength">Positions per row (1..the model's maximum).</param>
    /// <param name="lora">LoRA options, or null for full fine-tuning.</param>
    /// <param name="pool">Workers for the matmuls and attention (default: the calling thread).</param>
    /// <param name="recompute">Activation checkpointing: keep only each layer's input and recompute the layer's forward
    /// in the backward (one set of activation buffers serves every layer; one more forward of the layers per step).
    /// Gradients are bit-identical to those without it.</param>
    public LlamaTrainer(LlamaModel model, int maxRows, int maxSequenceLength, LoraOptions? lora = null, WorkerPool? pool = null, bool recompute = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Packed is not null)
        {
            throw new ArgumentException("The model was packed for inference (LlamaModel.PackForInference): its packed copy would go stale as training changes the weights. Train a model loaded without packing.", nameof(model));
        }

        bool bf16Base = lora is { BaseType: LoraBaseType.BF16 };
        if (bf16Base && !BF16Base.Holds(model.Weights))
        {
            throw new ArgumentException("LoRA with a BF16 base needs the model's layer linears held in BF16 and every other weight in float32: convert a float32 model with BF16Base.Convert.", nameof(model));
        }

        if (!bf16Base && model.Weights.HasStored)
        {
            throw new ArgumentException("The model holds stored-type (BF16/Q8_0/Q4_0) matrices for inference (LlamaModel.LoadForInference); training needs float32 weights (load it with LlamaModel.Load), or, for LoRA, a BF16 base made by BF16Base.Convert with LoraOptions.BaseType BF16.", nameof(model));
        }

        _model = model;
        _c = model.Config;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSequenceLength, _c.MaxSeqLen);
        _pool = pool ?? WorkerPool.Single;
        _lora = lora;
        var targets = lora?.ResolveTargets() ?? [];
        var (saveEmbed, saveHead) = SavedModules.Choose(_c, lora);
        MaxRows = maxRows;
        MaxSequenceLength = maxSequenceLength;
        int n = checked(maxRows * maxSequenceLength);
        int chunk = TrainClassifier.ChunkFor(model, n);
        _pass = new TrainPass(_c, maxRows, maxSequenceLength, lora);
        bool full = lora is null;
        int[] tokenIds = lora?.ResolveTrainableTokens(_c.VocabSize) ?? [];
        _arena = new TrainerArena(_c, maxRows, maxSequenceLength, chunk, _pool.ThreadCount, lora, targets, saveEmbed, saveHead, recompute, tokenIds.Length);
        try
        {
            var w = model.Weights;
            if (full)
            {
                _embedGrad = _arena[TrainerArena.GradName("model.embed_tokens.weight")];
                _finalNormGrad = _arena[TrainerArena.GradName("model.norm.weight")];
            }

            _layers = new TrainLayer[_c.Layers];
            for (int l = 0; l < _c.Layers; l++)
            {
                _layers[l] = new TrainLayer(_arena, _pass, w.Layers[l], _c, l, lora, targets, _pool);
            }

            _saved = new SavedModules(_arena, w, _c, saveEmbed, saveHead,
                tokenIds.Length > 0 ? new TrainableTokens(_arena, w, _c, tokenIds) : null);
            _classifier = new TrainClassifier(_arena, _pass, _saved, _c, chunk, full, _pool);
            _merge = new LoraMerge(w, _layers, _saved, !full, _pool);
            if (full)
            {
                foreach (var (name, _) in LlamaWeights.Manifest(_c))
                {
                    bool decay = name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("norm", StringComparison.Ordinal);
                    _parameters.Add(new TrainableParameter(name, w.Arena[name], _arena[TrainerArena.GradName(name)], decay));
                }
            }
            else
            {
                var rng = new Random(lora!.Seed);
                foreach (var layer in _layers)
                {
                    layer.InitLora(rng, _parameters);
                }

                _saved.AddParameters(_parameters);
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

    /// <summary>Whether the layers recompute their forward in the backward (activation checkpointing).</summary>
    public bool Recompute => _arena.Recompute;

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
    public long DropoutStep
    {
        get => _pass.DropoutStep;
        set => _pass.DropoutStep = value;
    }

    /// <summary>The arena holding activations, gradients and scratch.</summary>
    public Arena Arena => _arena.Arena;

    /// <inheritdoc />
    public WorkerPool Workers => _pool;

    /// <summary>The PEFT name of a module trained in full beside the adapters (embed_tokens or lm_head).</summary>
    public static string SavedName(string module) => TrainerArena.SavedName(module);

    /// <summary>The PEFT name of a LoRA matrix ("A" or "B") of one module of one layer.</summary>
    public static string LoraName(int layer, string module, string matrix) => TrainerArena.LoraName(layer, module, matrix);

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
        _pass.Load(batch);
        int n = _pass.N;
        if (targetLogProbs.Length < n || argmaxCorrect.Length < n)
        {
            throw new ArgumentException($"targetLogProbs and argmaxCorrect need {n} entries (rows × sequence length).");
        }

        _pass.AdaptersOn = AdaptersEnabled;
        _pass.DropoutOn = DropoutEnabled;
        if (_pass.AdaptersOn)
        {
            _saved.Tokens?.Sync();
        }

        int dim = _c.Dim;
        var x0 = _arena.Residual(0, n);
        var embed = _saved.EmbeddingFor(_pass.AdaptersOn);
        ReadOnlySpan<int> tokens = _pass.Tokens;
        for (int i = 0; i < n; i++)
        {
            embed.Row(tokens[i]).CopyTo(x0.Slice(i * dim, dim));
        }

        foreach (var layer in _layers)
        {
            layer.Forward();
        }

        RmsNorm.Forward(_arena.Residual(2 * _c.Layers, n), _model.Weights.FinalNorm.Span, _arena.FinalNormOut.Span, n, dim, _c.RmsEps);
        _classifier.Forward(targetLogProbs[..n], argmaxCorrect[..n]);
        _pass.ForwardDone = true;
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> coefficients)
    {
        if (!_pass.ForwardDone)
        {
            throw new InvalidOperationException("Backward needs a Forward first.");
        }

        int n = _pass.N, dim = _c.Dim;
        if (coefficients.Length < n)
        {
            throw new ArgumentException($"coefficients holds {coefficients.Length} values; the last batch has {n} positions.", nameof(coefficients));
        }

        Span<float> dxn = _arena.DNormOut.Span[..(n * dim)];
        _classifier.Backward(coefficients[..n], dxn);
        Span<float> dRes = _arena.DRes.Span[..(n * dim)];
        RmsNorm.Backward(_arena.Residual(2 * _c.Layers, n), _model.Weights.FinalNorm.Span, dxn, dRes,
            _finalNormGrad is { } fg ? fg.Span : _arena.FrozenNormGrad.Span[..dim], _arena.NormScratch.Span, n, dim, _c.RmsEps);
        for (int l = _c.Layers - 1; l >= 0; l--)
        {
            // With recomputation the shared buffers hold the last layer's activations from the forward; every other
            // layer runs its forward again (same inputs, same dropout masks, so the same values) before its backward.
            if (_arena.Recompute && l != _c.Layers - 1)
            {
                _layers[l].Forward();
            }

            _layers[l].Backward();
        }

        if ((_embedGrad ?? _saved.EmbeddingGradFor(_pass.AdaptersOn)) is { } eg)
        {
            ReadOnlySpan<int> tokens = _pass.Tokens;
            for (int i = 0; i < n; i++)
            {
                Span<float> row = eg.Row(tokens[i]);
                TensorPrimitives.Add(row, dRes.Slice(i * dim, dim), row);
            }
        }

        if (_pass.AdaptersOn && _saved.Tokens is { } trainableTokens)
        {
            trainableTokens.AccumulateEmbeddingGrad(_pass.Tokens[..n], dRes);
        }

        DropoutStep++;
    }

    /// <summary>The sampling sessions' KV cache: F32, so training (RFT rollouts) computes exactly what it did before the
    /// inference cache went to F16 and seeded runs keep their recorded results.</summary>
    private const KvCacheType SamplingCache = KvCacheType.F32;

    /// <summary>
    /// With LoRA, a session over a merged copy (<see cref="MergedWeights"/>) that the session frees when disposed: one
    /// weight copy per call is small next to the decoding it serves, and inference stays the plain, fast path. With full
    /// fine-tuning, a session over the trained weights themselves (which the optimiser updates in place).
    /// </summary>
    public IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null)
    {
        if (_lora is null)
        {
            return _model.CreateSession(maxContext, pool: pool, cacheType: SamplingCache);
        }

        var merged = new LlamaModel(MergedWeights());
        try
        {
            return new OwningSession(merged.CreateSession(maxContext, pool: pool, cacheType: SamplingCache), merged);
        }
        catch
        {
            merged.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A copy of the model's weights with every adapter folded in (W += B·A·alpha/rank) and the modules to save in
    /// place of the base's embedding and head, whose plain forward equals the adapter forward (dropout off). Without
    /// LoRA, a plain copy. The caller owns (disposes) the result.
    /// </summary>
    public LlamaWeights MergedWeights()
    {
        _saved.Tokens?.Sync();
        return _merge.Merge();
    }

    /// <summary>Frees the arena (activations, gradients, adapters); the model stays.</summary>
    public void Dispose() => _arena.Dispose();
}
