using BenchmarkDotNet.Attributes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Bench;

/// <summary>
/// Training throughput: one forward + backward (all targets trained) of a 1 × <see cref="Tokens"/> batch, full
/// fine-tuning or LoRA (rank 8, all-linear), on stories260K and on a random 134M Llama (dim 768, FFN 2048, 12 layers,
/// 12 heads, vocab 32000). Time per operation is per token: tokens/s = 1e9 / mean ns; GFLOP/s = tokens/s ×
/// <see cref="FlopsPerToken"/> / 1e9 (printed at setup). The prompt forward of the inference session over the same
/// tokens is the reference measured in the same run (an ideal full step costs about three forwards).
/// <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*TrainBench*'</c>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class TrainBench : IDisposable
{
    private const int Tokens = 256;
    private LlamaModel? _model;
    private LlamaTrainer? _trainer;
    private LlamaSession? _session;
    private WorkerPool? _pool;
    private TokenBatch? _batch;
    private float[] _logp = [];
    private bool[] _correct = [];
    private float[] _coef = [];

    /// <summary>"stories260K" or "llama134M".</summary>
    [Params("stories260K", "llama134M")]
    public string Model { get; set; } = "stories260K";

    /// <summary>"full" or "lora".</summary>
    [Params("full", "lora")]
    public string Method { get; set; } = "full";

    /// <summary>Loads or makes the model, the trainer (one worker per core) and the batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pool = new WorkerPool(Environment.ProcessorCount);
        _model = Model == "stories260K" ? LlamaModel.Load(Path.Combine(FindAssets(), "models", "stories260K-hf")) : Random134M();
        var lora = Method == "lora" ? new LoraOptions { Rank = 8, Alpha = 16, TargetModules = ["all-linear"] } : null;
        _trainer = new LlamaTrainer(_model, 1, Tokens, lora, _pool);
        _session = _model.CreateSession(Tokens, 64, _pool);
        _batch = new TokenBatch(1, Tokens);
        var rng = new Random(1);
        for (int i = 0; i < Tokens; i++)
        {
            _batch.Tokens[i] = rng.Next(3, _model.Config.VocabSize);
            _batch.Positions[i] = i;
            _batch.SegmentIds[i] = 0;
        }

        for (int i = 0; i + 1 < Tokens; i++)
        {
            _batch.Targets[i] = _batch.Tokens[i + 1];
        }

        _logp = new float[Tokens];
        _correct = new bool[Tokens];
        _coef = Enumerable.Range(0, Tokens).Select(i => i + 1 < Tokens ? -1f / (Tokens - 1) : 0f).ToArray();
        Console.WriteLine($"// {Model} {Method}: {FlopsPerToken(_model.Config, Tokens, lora is not null) / 1e9:F3} GFLOP per training token, "
            + $"{FlopsPerToken(_model.Config, Tokens, forwardOnly: true) / 1e9:F3} per forward token, {_pool.ThreadCount} threads");
    }

    /// <summary>Forward + backward of the batch (time per operation is per token).</summary>
    [Benchmark(OperationsPerInvoke = Tokens)]
    public float TrainStep()
    {
        _trainer!.ZeroGrad();
        _trainer.Forward(_batch!, _logp, _correct);
        _trainer.Backward(_coef);
        return _logp[0];
    }

    /// <summary>The reference: the inference session's prompt forward over the same tokens (per token).</summary>
    [Benchmark(OperationsPerInvoke = Tokens, Baseline = true)]
    public float SessionPromptForward()
    {
        _session!.Reset();
        return _session.Forward(_batch!.Tokens)[0];
    }

    /// <summary>
    /// Matmul and attention FLOPs per token: forward 2·(weights used) + causal attention 2·qDim·T per layer (QKᵀ and
    /// PV over T/2 positions on average); a full step adds 2× for dx and dW, LoRA 1× (dx only) plus the classifier's
    /// recomputed logits; the adapters' own FLOPs are negligible and left out.
    /// </summary>
    public static double FlopsPerToken(LlamaConfig c, int seq, bool lora = false, bool forwardOnly = false)
    {
        double layer = (2.0 * c.Dim * c.QDim) + (2.0 * c.Dim * c.KvDim) + (3.0 * c.Dim * c.HiddenDim);
        double classifier = (double)c.VocabSize * c.Dim;
        double forward = (2 * c.Layers * layer) + (2 * classifier) + (2.0 * c.Layers * c.QDim * seq);
        if (forwardOnly)
        {
            return forward;
        }

        double backward = lora ? forward : 2 * forward;
        return forward + backward + (2 * classifier);
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        _session?.Dispose();
        _model?.Dispose();
        _pool?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static LlamaModel Random134M()
    {
        var c = new LlamaConfig
        {
            Dim = 768, HiddenDim = 2048, Layers = 12, Heads = 12, KvHeads = 12, HeadDim = 64, VocabSize = 32000, MaxSeqLen = 1024,
        }.Validate("llama134M");
        var rng = new Random(7);
        var weights = LlamaWeights.Create(c, (name, t) =>
        {
            var s = t.Span;
            bool norm = name.Contains("norm", StringComparison.Ordinal);
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = norm ? 1f : (float)(rng.NextDouble() - 0.5) * 0.04f;
            }
        });
        return new LlamaModel(weights);
    }

    private static string FindAssets()
    {
        var env = Environment.GetEnvironmentVariable("HONE_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            return Directory.Exists(Path.Combine(env, "assets")) ? Path.Combine(env, "assets") : env;
        }

        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "shared", "assets");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/assets not found: set HONE_SHARED to the shared folder.");
    }
}
