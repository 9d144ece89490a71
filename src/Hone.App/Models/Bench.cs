using Hone.Models.Benchmarks;
using Hone.Numerics.Benchmarks;

namespace Hone.App.Models;

/// <summary>What <see cref="Bench.Matmul"/> is asked.</summary>
/// <param name="Threads">The largest thread count measured (1 up to it).</param>
/// <param name="Seconds">Timed seconds per case, in (0, 60].</param>
public sealed record BenchMatmulRequest(int Threads, double Seconds);

/// <summary>What <see cref="Bench.Model"/> is asked.</summary>
/// <param name="Threads">The largest thread count measured (1 up to it).</param>
/// <param name="Seconds">Timed seconds per case, in (0, 60].</param>
/// <param name="Stories">A stories260K .bin measured beside the 134M model, or null.</param>
/// <param name="PromptTokens">Prompt length, in [2, 1023].</param>
/// <param name="DecodeTokens">Tokens generated per decode repetition, in [1, 1000].</param>
public sealed record BenchModelRequest(int Threads, double Seconds, string? Stories = null, int PromptTokens = 256, int DecodeTokens = 64);

/// <summary>The result of a benchmark (its <c>--json</c> document).</summary>
public sealed record BenchResponse<T>(IReadOnlyList<T> Results);

/// <summary>Use cases "measure this machine": matmul GFLOP/s and a 134M model's tokens/s, each beside its reference measured in the same run.</summary>
public static class Bench
{
    /// <summary>Matmul GFLOP/s on transformer shapes; the table goes to <paramref name="log"/> as it is measured.</summary>
    public static BenchResponse<MatmulBenchmarkResult> Matmul(BenchMatmulRequest request, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check(request.Threads, request.Seconds);
        return new(MatmulBenchmark.Run(log, request.Threads, request.Seconds));
    }

    /// <summary>Prompt and generation tokens/s of a randomly initialised 134M Llama; the table goes to <paramref name="log"/> as it is measured.</summary>
    public static BenchResponse<ModelBenchmarkResult> Model(BenchModelRequest request, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(request);
        Check(request.Threads, request.Seconds);
        if (request.PromptTokens is < 2 or > 1023) throw new UseCaseException("--prompt-tokens must be in [2, 1023].");
        if (request.DecodeTokens is < 1 or > 1000) throw new UseCaseException("--decode-tokens must be in [1, 1000].");
        if (request.Stories is { } s && !File.Exists(s)) throw new UseCaseException($"--stories: no file at {Path.GetFullPath(s)}.");
        return new(ModelBenchmark.Run(log, request.Threads, request.Stories is null ? null : Path.GetFullPath(request.Stories), request.PromptTokens,
            request.DecodeTokens, request.Seconds));
    }

    private static void Check(int threads, double seconds)
    {
        if (threads < 1) throw new UseCaseException("--threads must be at least 1.");
        if (seconds is <= 0 or > 60) throw new UseCaseException("--seconds must be in (0, 60].");
    }
}
