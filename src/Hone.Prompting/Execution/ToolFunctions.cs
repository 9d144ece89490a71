using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hone.Prompting.Files;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Execution;

/// <summary>Turns a prompt's tools into what the model is offered: declarations, or functions that run.</summary>
public static class ToolFunctions
{
    /// <summary>The most characters of a tool's result fed back to the model.</summary>
    public const int MaxResultChars = 64_000;

    /// <summary>The tools of a prompt: a command or HTTP tool becomes an <see cref="AIFunction"/> that runs; a declared one a declaration.</summary>
    public static IList<AITool> For(PromptFile prompt, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return [.. prompt.Tools.Select(t => t switch
        {
            CommandTool c => new CommandFunction(c),
            HttpTool h => new HttpFunction(h, http ?? Shared),
            _ => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Parameters),
        })];
    }

    private static readonly HttpClient Shared = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static readonly JsonSerializerOptions Compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private static string Args(AIFunctionArguments a) => JsonSerializer.Serialize(a.ToDictionary(p => p.Key, p => p.Value), Compact);

    private static string Cap(string s) => s.Length <= MaxResultChars ? s : s[..MaxResultChars] + $"\n[cut at {MaxResultChars} characters]";

    /// <summary>Runs a program: the arguments as JSON on stdin, stdout as the result; a failure or timeout is an error the model reads.</summary>
    private sealed class CommandFunction(CommandTool tool) : AIFunction
    {
        public override string Name => tool.Name;

        public override string Description => tool.Description ?? "";

        public override JsonElement JsonSchema => tool.Parameters;

        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            var psi = new ProcessStartInfo(tool.Command[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = tool.WorkingDirectory,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var a in tool.Command.Skip(1)) psi.ArgumentList.Add(a);
            using var p = new Process { StartInfo = psi };
            try { p.Start(); }
            catch (System.ComponentModel.Win32Exception e) { return $"error: tool '{tool.Name}' could not start '{tool.Command[0]}': {e.Message}"; }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(tool.Timeout);
            try
            {
                await p.StandardInput.WriteAsync(Args(arguments).AsMemory(), timeout.Token).ConfigureAwait(false);
                p.StandardInput.Close();
                var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
                var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
                await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                var output = await stdout.ConfigureAwait(false);
                return p.ExitCode == 0 ? Cap(output.TrimEnd()) : $"error: tool '{tool.Name}' exited with code {p.ExitCode}: {Cap((await stderr.ConfigureAwait(false)).Trim())}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return $"error: tool '{tool.Name}' timed out after {tool.Timeout.TotalSeconds:0.##} s.";
            }
        }
    }

    /// <summary>Calls an HTTP endpoint: POST with the arguments as JSON, or GET with them as the query; the body is the result.</summary>
    private sealed class HttpFunction(HttpTool tool, HttpClient http) : AIFunction
    {
        public override string Name => tool.Name;

        public override string Description => tool.Description ?? "";

        public override JsonElement JsonSchema => tool.Parameters;

        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(tool.Timeout);
            try
            {
                using var request = tool.Method == "GET"
                    ? new HttpRequestMessage(HttpMethod.Get, new UriBuilder(tool.Url) { Query = string.Join('&', arguments.Select(a => Uri.EscapeDataString(a.Key) + "=" + Uri.EscapeDataString(Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""))) }.Uri)
                    : new HttpRequestMessage(HttpMethod.Post, tool.Url) { Content = new StringContent(Args(arguments), Encoding.UTF8, "application/json") };
                using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? Cap(body) : $"error: tool '{tool.Name}' answered HTTP {(int)response.StatusCode}: {Cap(body)}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return $"error: tool '{tool.Name}' timed out after {tool.Timeout.TotalSeconds:0.##} s.";
            }
            catch (HttpRequestException e)
            {
                return $"error: tool '{tool.Name}' could not be reached: {e.Message}";
            }
        }
    }
}
