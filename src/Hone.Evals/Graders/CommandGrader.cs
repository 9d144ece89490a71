using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Evals.Graders;

/// <summary>
/// <c>command</c>: runs an external program (argv list, no shell, so nothing in the item or output is ever
/// interpolated into a command line), writes <c>{"item": ..., "sample": {...}}</c> (the two template namespaces) to its
/// stdin, and reads its score from stdout.
/// </summary>
/// <remarks>
/// Stdout, trimmed, must be a number in [0, 1] or a JSON object <c>{"score": number in [0, 1], "reason": "..."}</c>;
/// anything else is a parse error. A non-zero exit status is a command failure (stderr's end in the message). Past
/// the time limit the process tree is killed and the result is a timeout. Stdout and stderr are capped at 1 MiB.
/// </remarks>
public sealed class CommandGrader : IGrader
{
    private const int OutputCap = 1 << 20;

    /// <summary>Creates the grader.</summary>
    public CommandGrader(string name, IReadOnlyList<string> argv, TimeSpan timeLimit, double passThreshold)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0) throw new ArgumentException("The command needs at least the program to run.", nameof(argv));
        Name = name;
        Argv = argv;
        TimeLimit = timeLimit;
        PassThreshold = passThreshold;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold { get; }

    /// <summary>The program and its arguments, passed as is.</summary>
    public IReadOnlyList<string> Argv { get; }

    /// <summary>The wall-clock limit per sample.</summary>
    public TimeSpan TimeLimit { get; }

    /// <inheritdoc/>
    public async ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var psi = new ProcessStartInfo(Argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in Argv.Skip(1)) psi.ArgumentList.Add(a);
        using var proc = new Process { StartInfo = psi };
        try
        {
            proc.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return GradeResult.Failed(Name, GradeErrorKind.CommandFailed, $"could not start '{Argv[0]}': {e.Message}. Give the program's full path or check it is installed.");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeLimit);
        var stdout = ReadCapped(proc.StandardOutput, timeout.Token);
        var stderr = ReadCapped(proc.StandardError, timeout.Token);
        try
        {
            var payload = new JsonObject
            {
                ["item"] = JsonNode.Parse(ctx.Item.GetRawText()),
                ["sample"] = JsonNode.Parse(ctx.SampleJson.GetRawText()),
            };
            try
            {
                await proc.StandardInput.WriteAsync(payload.ToJsonString().AsMemory(), timeout.Token).ConfigureAwait(false);
                proc.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program may exit without reading its input; its exit status and stdout still decide.
            }
            await proc.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (proc.ExitCode != 0)
                return GradeResult.Failed(Name, GradeErrorKind.CommandFailed, $"'{Argv[0]}' exited with status {proc.ExitCode}: {Tail(errors)}");
            return Parse(output);
        }
        catch (OperationCanceledException)
        {
            Kill(proc);
            ct.ThrowIfCancellationRequested();
            return GradeResult.Failed(Name, GradeErrorKind.Timeout, $"'{Argv[0]}' ran longer than {TimeLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and was killed; raise timeout_seconds or speed it up.");
        }
    }

    private GradeResult Parse(string stdout)
    {
        var text = stdout.Trim();
        string? reason = null;
        double score;
        if (text.StartsWith('{'))
        {
            if (!Json.JsonValidGrader.TryParse(text, out var obj, out var err))
                return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"stdout is {err}");
            if (!obj.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number)
                return GradeResult.Failed(Name, GradeErrorKind.ParseError, "stdout JSON has no numeric 'score'; print {\"score\": 0.75} or just 0.75.");
            score = s.GetDouble();
            if (obj.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String) reason = r.GetString();
        }
        else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out score))
        {
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"stdout \"{Tail(text)}\" is not a score; print one number in [0, 1] (or {{\"score\": x}}).");
        }
        if (!(score >= 0 && score <= 1))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"score {score.ToString(CultureInfo.InvariantCulture)} is outside [0, 1]; normalise it in the program.");
        return GradeResult.Scored(Name, score, PassThreshold) with { Detail = reason };
    }

    private static async Task<string> ReadCapped(StreamReader reader, CancellationToken ct)
    {
        var sb = new StringBuilder();
        var buf = new char[8192];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buf.AsMemory(), ct).ConfigureAwait(false)) > 0)
                if (sb.Length < OutputCap) sb.Append(buf, 0, Math.Min(n, OutputCap - sb.Length));
        }
        catch (OperationCanceledException)
        {
            // The caller reports the timeout.
        }
        return sb.ToString();
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Tail(string s)
    {
        s = s.Trim();
        return s.Length <= 300 ? s : "..." + s[^297..];
    }
}
