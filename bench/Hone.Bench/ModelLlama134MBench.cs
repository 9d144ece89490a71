using BenchmarkDotNet.Attributes;
using Hone.Models.Benchmarks;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Bench;

/// <summary>
/// The reference model: a randomly initialised Llama built in code (<see cref="ModelBenchmark.Llama134M"/>:
/// dim 768, FFN 2048, 12 layers, 12 heads, vocab 32000, tied), on 1 and 2 threads. Times are per token
/// (tokens/s = 1e9 / mean ns). "PromptTokenByToken" is the reference for "Prompt": the same prompt one matvec per
/// token. llama.cpp F32 on this machine: ~1,200 prompt and ~145 generated tokens/s on both cores.
/// The quick table is <c>hone bench model</c> (<see cref="ModelBenchmark.Run"/>).
/// <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*Llama134M*'</c>
/// </summary>
[MemoryDiagnoser]
public class ModelLlama134MBench : IDisposable
{
    private const int PromptTokens = 256;
    private const int DecodeTokens = 32;
    private readonly int[] _prompt = new int[PromptTokens];
    private readonly GenerationOptions _options = new() { MaxNewTokens = DecodeTokens, StopAtEos = false };
    private LlamaModel? _model;
    private WorkerPool? _pool;
    private LlamaSession? _session;
    private Generator? _generator;

    /// <summary>Worker threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Builds the model (seeded) and a session.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = ModelBenchmark.RandomModel(ModelBenchmark.Llama134M);
        _pool = new WorkerPool(Threads);
        _session = _model.CreateSession(blockSize: PromptTokens, pool: _pool);
        _generator = new Generator(_session);
        for (int i = 0; i < PromptTokens; i++)
        {
            _prompt[i] = 3 + (i * 7919 % 31997);
        }
    }

    /// <summary>A 256-token prompt in one block (blocked matmul); time per prompt token.</summary>
    [Benchmark(OperationsPerInvoke = PromptTokens)]
    public float Prompt()
    {
        _session!.Reset();
        return _session.Forward(_prompt)[0];
    }

    /// <summary>The same prompt one token per forward (matvec); time per prompt token.</summary>
    [Benchmark(OperationsPerInvoke = PromptTokens)]
    public float PromptTokenByToken()
    {
        _session!.Reset();
        float s = 0;
        foreach (int t in _prompt)
        {
            s += _session.Forward(t)[0];
        }

        return s;
    }

    /// <summary>32 greedy tokens from BOS; time per generated token.</summary>
    [Benchmark(OperationsPerInvoke = DecodeTokens)]
    public int Decode() => _generator!.Generate([1], _options).TokenIds.Length;

    /// <summary>Frees the session, pool and model.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _session?.Dispose();
        _pool?.Dispose();
        _model?.Dispose();
        GC.SuppressFinalize(this);
    }
}
