using System.CommandLine;
using System.Diagnostics;
using Hone.Ui;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone ui</c>: the local web dashboard over the workspace (runs, eval runs, compare, training monitor, edit to
/// teach, prompt results, data QA) until Ctrl+C. Binds 127.0.0.1 unless <c>--host</c> and <c>--api-key</c> are both given.
/// </summary>
public static class UiCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bind = new Option<string>("--host") { Description = "Address to bind; anything but loopback needs --api-key.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port).", DefaultValueFactory = _ => 8787 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this key (header 'Authorization: Bearer KEY', or open /login?key=KEY once in the browser)." };
        var open = new Option<bool>("--open") { Description = "Open the dashboard in the default browser." };
        var cmd = new Command("ui", "A local web dashboard over the workspace: runs, eval cases, compare, live training curves, edit to teach, data QA. Ctrl+C stops.")
        {
            bind, port, apiKey, open,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var ws = ctx.RequireWorkspace();
            var options = new UiOptions { Host = p.GetValue(bind)!, Port = p.GetValue(port), ApiKey = p.GetValue(apiKey) };
            await using var server = await UiServer.StartAsync(ws, options, ct).ConfigureAwait(false);
            ctx.WriteJson(new UiStarted(server.BaseAddress.ToString(), ws.Root));
            ctx.Stdout.Flush();
            if (!ctx.Json) ctx.Stderr.WriteLine($"hone ui: {server.BaseAddress} over {ws.Root} — Ctrl+C stops.");
            if (p.GetValue(open)) TryOpen(server.BaseAddress, ctx);
            try
            {
                await server.WaitForShutdownAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static void TryOpen(Uri url, CliContext ctx)
    {
        var opener = OperatingSystem.IsWindows() ? "explorer" : OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(opener, url.ToString()) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            ctx.Warn($"could not open a browser ({opener}: {e.Message}); open {url} yourself.");
        }
    }
}
