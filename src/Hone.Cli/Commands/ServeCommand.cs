using System.CommandLine;
using Hone.Models.Chat;
using Hone.Numerics;
using Hone.Server;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone serve --model DIR</c>: serves a local model over the OpenAI HTTP API until Ctrl+C. The API key comes from
/// <see cref="ApiKeySource.Rule"/>.
/// </summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var local = ModelCliOptions.Local(adapter: true);
        var bind = new Option<string>("--host") { Description = "Address to bind (127.0.0.1 keeps it on this machine).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port).", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "Require 'Authorization: Bearer KEY' on every request. Visible to every user in `ps`: prefer --api-key-file or the "
                + $"{ApiKeySource.EnvironmentVariable} environment variable. The key is taken from: {ApiKeySource.Rule}.",
        };
        var apiKeyFile = new Option<string?>("--api-key-file")
        {
            Description = "Read the API key from the first line of FILE (trimmed; an empty file is refused; a warning if others can read it).",
        };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Requests generating at the same time.", DefaultValueFactory = _ => 1 };
        var queue = new Option<int>("--max-queue") { Description = "Requests waiting for a slot before 429.", DefaultValueFactory = _ => 16 };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("serve", "Serve a local model over the OpenAI API (/v1/models, /v1/chat/completions, /v1/completions) until Ctrl+C. "
            + $"The API key is taken from {ApiKeySource.Rule}.")
        {
            bind, port, apiKey, apiKeyFile, concurrency, queue, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var key = ApiKeySource.Resolve(p.GetValue(apiKey), p.GetValue(apiKeyFile) is { } f ? ctx.ResolvePath(f) : null, Environment.GetEnvironmentVariable);
            var options = new ServerOptions
            {
                Host = p.GetValue(bind)!,
                Port = p.GetValue(port),
                ApiKey = key.Key,
                MaxConcurrency = p.GetValue(concurrency),
                MaxQueue = p.GetValue(queue),
            }.Validate();
            foreach (var warning in key.Warnings) ctx.Warn(warning);
            var n = p.GetValue(threads);
            if (n < 1) throw new CliUsageException($"--threads {n} must be ≥ 1.");
            using var pool = n > 1 ? new WorkerPool(n) : null;
            using var client = local.Get(p, ctx)!.LoadClient(new LocalChatClientOptions { Pool = pool, MaxPooledSessions = options.MaxConcurrency });
            await using var server = await HoneServer.StartAsync(client, options, cancellationToken: ct).ConfigureAwait(false);
            ctx.WriteJson(new { url = server.BaseAddress.ToString(), model = server.ModelId, template = client.Encoder.TemplateSource, apiKey = key.Origin });
            ctx.Stdout.Flush();
            if (!ctx.Json)
                ctx.Stderr.WriteLine($"serving {server.ModelId} ({client.Encoder.TemplateSource}) at {server.BaseAddress}v1, API key: {key.Origin} — Ctrl+C stops.");
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
}
