using Hone.App.Training;
using System.CommandLine;
using Hone.FineTuning;
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
            var model = local.Get(p, ctx)!;
            using var client = model.LoadClient(new LocalChatClientOptions { Pool = pool, MaxPooledSessions = options.MaxConcurrency });
            var ws = p.GetValue(noFineTuning) ? null : ctx.FindWorkspace();
            await using var fineTuning = ws is null ? null : FineTuningService.Start(new FineTuningOptions
            {
                DatabasePath = ws.DatabasePath, Folder = Path.Combine(ws.StateDir, "fine_tuning"), BaseModelId = client.ModelId, BaseModelPath = model.Path,
                TokenizerPath = model.Tokenizer, Template = model.Template, Threads = n, LoraRank = p.GetValue(loraRank),
                LoadReward = path => RewardFromGraders.Load(path),
            });
            await using var server = await HoneServer.StartAsync(client, options, null, fineTuning, ct).ConfigureAwait(false);
            ctx.WriteJson(new
            {
                url = server.BaseAddress.ToString(), model = server.ModelId, template = client.Encoder.TemplateSource, apiKey = key.Origin,
                fineTuning = fineTuning is null ? null : fineTuning.Options.Folder,
            });
            ctx.Stdout.Flush();
            if (!ctx.Json)
                ctx.Stderr.WriteLine($"serving {server.ModelId} ({client.Encoder.TemplateSource}) at {server.BaseAddress}v1, API key: {key.Origin}"
                    + (fineTuning is null ? "" : ", fine-tuning API on (jobs in the workspace's run store)") + " — Ctrl+C stops.");
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
