using System.CommandLine;
using Hone.App.Models;

namespace Hone.Cli.Commands;

/// <summary><c>hone bench ...</c>: quick self-timed measurements (the full BenchmarkDotNet suite is in bench/Hone.Bench).</summary>
public static class BenchCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var threads = new Option<int>("--threads") { Description = "Largest thread count to measure (1 up to this).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per case.", DefaultValueFactory = _ => 0.5 };
        var matmul = new Command("matmul", "Matmul GFLOP/s on transformer shapes (256×768·768×3072, 256×768·768×768, 1×4096·4096×4096), " +
            "1 and more threads, beside the naive twin measured in the same run.") { threads, seconds };
        host.SetHandler(matmul, (p, ctx) =>
        {
            ctx.WriteJson(Bench.Matmul(new BenchMatmulRequest(p.GetValue(threads), p.GetValue(seconds)), ctx.Json ? TextWriter.Null : ctx.Stdout));
            return ExitCodes.Success;
        });
        var stories = new Option<FileInfo?>("--stories") { Description = "A stories260K .bin to measure beside the 134M model (optional)." };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length.", DefaultValueFactory = _ => 256 };
        var decodeTokens = new Option<int>("--decode-tokens") { Description = "Tokens generated per decode repetition.", DefaultValueFactory = _ => 64 };
        var model = new Command("model", "Prompt and generation tokens/s of a randomly initialised 134M Llama (dim 768, FFN 2048, 12 layers, " +
            "vocab 32000, tied) built in code, 1 and more threads, beside the memory-read ceiling and the token-by-token prompt measured in the same run.")
        {
            threads, seconds, stories, promptTokens, decodeTokens,
        };
        host.SetHandler(model, (p, ctx) =>
        {
            var request = new BenchModelRequest(p.GetValue(threads), p.GetValue(seconds), p.GetValue(stories)?.FullName, p.GetValue(promptTokens), p.GetValue(decodeTokens));
            ctx.WriteJson(Bench.Model(request, ctx.Json ? TextWriter.Null : ctx.Stdout));
            return ExitCodes.Success;
        });
        return new Command("bench", "Quick performance measurements of this machine.") { matmul, model };
    }
}
