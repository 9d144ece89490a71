using Hone.Models.Chat;
using Hone.Numerics;
using Microsoft.Extensions.AI;

namespace Hone.App.Models;

/// <summary>What <see cref="LocalChat"/> is asked: a chat with a local model.</summary>
/// <param name="Model">The model (tokenizer, template and adapter applied).</param>
/// <param name="System">System message at the start of the conversation (and after every reset), or null.</param>
/// <param name="Temperature">Sampling temperature; 0 is greedy.</param>
/// <param name="MaxTokens">Most tokens per reply.</param>
/// <param name="Seed">Seed of every turn's sampling, or null.</param>
/// <param name="Threads">Worker threads.</param>
public sealed record LocalChatRequest(LocalModel Model, string? System, float Temperature, int MaxTokens, long? Seed, int Threads)
{
    /// <summary>Checks ranges; the message names the option.</summary>
    public LocalChatRequest Validate()
    {
        if (MaxTokens < 1) throw new UseCaseException($"--max-tokens {MaxTokens} must be ≥ 1.");
        if (!float.IsFinite(Temperature) || Temperature < 0) throw new UseCaseException($"--temperature {Temperature} must be ≥ 0 (0 = greedy).");
        if (Threads < 1) throw new UseCaseException($"--threads {Threads} must be ≥ 1.");
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

/// <summary>The result of <see cref="LocalChat"/> (its <c>--json</c> document).</summary>
/// <param name="Model">The model's id.</param>
/// <param name="Template">Where the chat template came from.</param>
/// <param name="Turns">The exchanges, in order.</param>
public sealed record LocalChatResponse(string Model, string Template, IReadOnlyList<ChatTurn> Turns);

/// <summary>
/// Use case "chat with a local model": lines in, streamed replies out, through <see cref="LocalChatClient"/> (the client
/// generate and serve use). <c>/reset</c> clears the history, <c>/exit</c> or <c>/quit</c> ends.
/// </summary>
public static class LocalChat
{
    /// <summary>Loads the model and runs the chat loop until the input ends; <paramref name="onReady"/> hears the model id and template source first.</summary>
    public static async Task<LocalChatResponse> RunAsync(LocalChatRequest request, TextReader input, TextWriter output, Action<string, string>? onReady = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        using var pool = request.Threads > 1 ? new WorkerPool(request.Threads) : null;
        using var client = request.Model.LoadClient(new LocalChatClientOptions { Pool = pool });
        onReady?.Invoke(client.ModelId, client.Encoder.TemplateSource);
        var turns = await RunLoopAsync(client, input, output, request.ChatOptions, request.System, cancellationToken).ConfigureAwait(false);
        return new LocalChatResponse(client.ModelId, client.Encoder.TemplateSource, turns);
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
