using System.CommandLine;
using Hone.Server;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone serve --model DIR</c>: serves a local model over the OpenAI HTTP API until Ctrl+C (<see cref="LocalModelServer"/>). The API key comes from
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
        var noFineTuning = new Option<bool>("--no-fine-tuning") { Description = "Do not offer the fine-tuning API (/v1/files, /v1/fine_tuning/jobs)." };
        var loraRank = new Option<int>("--lora-rank") { Description = "LoRA rank of fine-tuning jobs (all linear layers, alpha = 2 × rank).", DefaultValueFactory = _ => 8 };
        var cmd = new Command("serve", "Serve a local model over the OpenAI API (/v1/models, /v1/chat/completions, /v1/completions) until Ctrl+C. "
            + "Inside a workspace it also speaks OpenAI's fine-tuning API (/v1/files, /v1/fine_tuning/jobs: sft, dpo, reinforcement): jobs queue in the run "
            + "store, train one at a time with the local engine, resume after a restart, and their models are served under fine_tuned_model. "
            + $"The API key is taken from {ApiKeySource.Rule}.")
        {
            bind, port, apiKey, apiKeyFile, concurrency, queue, threads, noFineTuning, loraRank,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new ServeRequest(local.Get(p, ctx)!, ctx.WorkingDirectory)
            {
                Host = p.GetValue(bind)!, Port = p.GetValue(port), ApiKey = p.GetValue(apiKey), ApiKeyFile = p.GetValue(apiKeyFile),
                Environment = Environment.GetEnvironmentVariable, MaxConcurrency = p.GetValue(concurrency), MaxQueue = p.GetValue(queue),
                Threads = p.GetValue(threads), FineTuning = !p.GetValue(noFineTuning), LoraRank = p.GetValue(loraRank),
            };
            await using var server = await LocalModelServer.StartAsync(request, ctx.Warn, ct).ConfigureAwait(false);
            var s = server.Started;
            ctx.WriteJson(s);
            ctx.Stdout.Flush();
            if (!ctx.Json)
                ctx.Stderr.WriteLine($"serving {s.Model} ({s.Template}) at {s.Url}v1, API key: {s.ApiKey}"
                    + (s.FineTuning is null ? "" : ", fine-tuning API on (jobs in the workspace's run store)") + " — Ctrl+C stops.");
            await server.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
