using Hone.App.Models;
using System.CommandLine;
using Hone.Models.Chat;
using Hone.Numerics;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Commands;

/// <summary>The options of <c>hone chat</c>, validated once.</summary>
public sealed record ChatCommandOptions(LocalModel Model, string? System, float Temperature, int MaxTokens, long? Seed, int Threads)
{
    /// <summary>Checks ranges.</summary>
    public ChatCommandOptions Validate()
    {
        if (MaxTokens < 1) throw new CliUsageException($"--max-tokens {MaxTokens} must be ≥ 1.");
        if (!float.IsFinite(Temperature) || Temperature < 0) throw new CliUsageException($"--temperature {Temperature} must be ≥ 0 (0 = greedy).");
        if (Threads < 1) throw new CliUsageException($"--threads {Threads} must be ≥ 1.");
        return this;
    }

    /// <summary>The per-turn chat options.</summary>
    public ChatOptions ChatOptions => new() { Temperature = Temperature, MaxOutputTokens = MaxTokens, Seed = Seed };
}

/// <summary>One exchange of a chat session.</summary>
/// <param name="User">What the user wrote.</param>
/// <param name="Assistant">The model's reply.</param>
/// <param name="PromptTokens">Prompt tokens of this turn (the whole history).</param>
/// <param name="CompletionTokens">Tokens of the reply.</param>
public sealed record ChatTurn(string User, string Assistant, long PromptTokens, long CompletionTokens);

/// <summary><c>hone chat --model DIR</c>: an interactive chat on stdin/stdout through the model's chat template.</summary>
public static class ChatCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var local = ModelCliOptions.Local(adapter: true);
        var system = new Option<string?>("--system") { Description = "System message at the start of the conversation." };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0.7f };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per reply.", DefaultValueFactory = _ => 256 };
        var seed = new Option<long?>("--seed") { Description = "Seed of every turn's sampling." };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("chat", "Chat with a local model: one line per message on stdin; /reset clears the history, /exit quits.")
        {
            system, temperature, maxTokens, seed, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var o = new ChatCommandOptions(local.Get(p, ctx)!, p.GetValue(system), p.GetValue(temperature), p.GetValue(maxTokens), p.GetValue(seed), p.GetValue(threads)).Validate();
            using var pool = o.Threads > 1 ? new WorkerPool(o.Threads) : null;
            using var client = o.Model.LoadClient(new LocalChatClientOptions { Pool = pool });
            if (!ctx.Json) ctx.Stderr.WriteLine($"chatting with {client.ModelId} ({client.Encoder.TemplateSource}); /reset clears the history, /exit quits.");
            var turns = await RunLoopAsync(client, Console.In, ctx.Json ? TextWriter.Null : ctx.Stdout, o.ChatOptions, o.System, ct).ConfigureAwait(false);
            ctx.WriteJson(new { model = client.ModelId, template = client.Encoder.TemplateSource, turns });
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>
    /// The chat loop: reads lines from <paramref name="input"/> until end of input or <c>/exit</c>; <c>/reset</c>
    /// clears the history; every other non-empty line is a user message whose streamed reply goes to
    /// <paramref name="output"/>. Returns the turns.
    /// </summary>
    public static async Task<IReadOnlyList<ChatTurn>> RunLoopAsync(IChatClient client, TextReader input, TextWriter output, ChatOptions options,
        string? system = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var history = new List<ChatMessage>();
        void Reset()
        {
            history.Clear();
            if (!string.IsNullOrEmpty(system)) history.Add(new ChatMessage(ChatRole.System, system));
        }
        Reset();
        var turns = new List<ChatTurn>();
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var text = line.Trim();
            if (text.Length == 0) continue;
            if (text is "/exit" or "/quit") break;
            if (text == "/reset")
            {
                Reset();
                await output.WriteLineAsync("(history cleared)").ConfigureAwait(false);
                continue;
            }
            history.Add(new ChatMessage(ChatRole.User, text));
            var updates = new List<ChatResponseUpdate>();
            await foreach (var u in client.GetStreamingResponseAsync(history, options, cancellationToken).ConfigureAwait(false))
            {
                updates.Add(u);
                if (u.Text.Length > 0)
                {
                    await output.WriteAsync(u.Text).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            await output.WriteLineAsync().ConfigureAwait(false);
            var response = updates.ToChatResponse();
            history.AddRange(response.Messages);
            turns.Add(new ChatTurn(text, response.Text, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0));
        }
        return turns;
    }
}
