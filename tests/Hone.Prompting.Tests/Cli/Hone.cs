using System.Text.Json;
using Hone.Cli;

namespace Hone.Prompting.Tests.Cli;

/// <summary>Runs <c>hone</c> in-process and captures its output.</summary>
internal static class Hone
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
    }

    public static Result Run(string workingDirectory, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = HoneApp.RunAsync(args, stdout, stderr, workingDirectory).GetAwaiter().GetResult();
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
