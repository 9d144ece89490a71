using System.CommandLine;
using Hone.Numerics.Benchmarks;

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
            if (p.GetValue(threads) < 1) throw new CliUsageException("--threads must be at least 1.");
            if (p.GetValue(seconds) is <= 0 or > 60) throw new CliUsageException("--seconds must be in (0, 60].");
            var results = MatmulBenchmark.Run(ctx.Json ? TextWriter.Null : ctx.Stdout, p.GetValue(threads), p.GetValue(seconds));
            ctx.WriteJson(new { results });
            return ExitCodes.Success;
        });
        return new Command("bench", "Quick performance measurements of this machine.") { matmul };
    }
}
