using BenchmarkDotNet.Attributes;
using Hone.Models.Generation;
using Hone.Models.Llama;

namespace Hone.Bench;

/// <summary>
/// stories260K greedy generation from BOS (256 new tokens per invocation, so the reported time per operation is per
/// token: tokens/s = 1e9 / mean ns). Needs ../shared/assets beside the repository, or HONE_SHARED.
/// <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*ModelBench*'</c>
/// The 134M reference model is <see cref="ModelLlama134MBench"/>; the quick table is <c>hone bench model</c>.
/// </summary>
[MemoryDiagnoser]
public class ModelBench : IDisposable
{
    private const int Tokens = 256;
    private LlamaModel? _model;
    private LlamaSession? _session;
    private Generator? _generator;
    private readonly GenerationOptions _options = new() { MaxNewTokens = Tokens, StopAtEos = false };

    /// <summary>Loads the model and creates the session once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = LlamaModel.Load(Path.Combine(FindAssets(), "models", "stories260K", "stories260K.bin"));
        _session = _model.CreateSession();
        _generator = new Generator(_session);
    }

    /// <summary>256 greedy tokens from BOS (time per operation is per token).</summary>
    [Benchmark(OperationsPerInvoke = Tokens)]
    public int Stories260KGreedyDecode() => _generator!.Generate([1], _options).TokenIds.Length;

    /// <summary>A 256-token prompt in one block (time per operation is per prompt token).</summary>
    [Benchmark(OperationsPerInvoke = Tokens)]
    public float Stories260KPrompt()
    {
        _session!.Reset();
        Span<int> prompt = stackalloc int[Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            prompt[i] = 3 + (i * 7 % 500);
        }

        return _session.Forward(prompt)[0];
    }

    /// <summary>Frees the session and model.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _session?.Dispose();
        _model?.Dispose();
        GC.SuppressFinalize(this);
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
