using System.Diagnostics;
using Hone.Models.Chat;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Numerics;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Microsoft.Extensions.AI;

namespace Hone.App.Models;

/// <summary>What <see cref="Generate"/> is asked: plain text from a local model.</summary>
/// <param name="Model">The model (resolved path).</param>
/// <param name="Prompt">The prompt text; empty starts from BOS.</param>
/// <param name="Temperature">Sampling temperature; 0 is greedy.</param>
/// <param name="TopP">Nucleus mass (1 = off).</param>
/// <param name="TopK">Keep the k most likely tokens (0 = off).</param>
/// <param name="Seed">The sampler's seed, or null.</param>
/// <param name="MaxTokens">Most new tokens (fewer when the context is full).</param>
/// <param name="Tokenizer">A tokenizer for a model without one beside it, or null.</param>
/// <param name="Threads">Worker threads.</param>
/// <param name="Adapter">A PEFT LoRA adapter merged in at load, or null.</param>
public sealed record GenerateRequest(string Model, string Prompt, float Temperature, float TopP, int TopK, ulong? Seed, int MaxTokens, string? Tokenizer, int Threads,
    string? Adapter = null)
{
    /// <summary>Checks ranges; the message names the option.</summary>
    public GenerateRequest Validate()
    {
        if (MaxTokens < 1) throw new UseCaseException($"--max-tokens {MaxTokens} must be ≥ 1.");
        if (Threads < 1) throw new UseCaseException($"--threads {Threads} must be ≥ 1.");
        try
        {
            new SamplingOptions { Temperature = Temperature, TopP = TopP, TopK = TopK, Seed = Seed }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UseCaseException("--" + e.Message.Replace('_', '-'));
        }
        return this;
    }
}

/// <summary>The result of <see cref="Generate"/> (its <c>--json</c> document).</summary>
public sealed record GenerateResponse(string Model, string? Adapter, string Prompt, string Text, string Completion, int PromptTokens, int CompletionTokens,
    FinishReason FinishReason, double Seconds, double TokensPerSecond)
{
    /// <summary>What the caller should be told before trusting the text (a tokenizer that does not match the model).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Use case "generate text": plain completion (no chat template) through <see cref="LocalChatClient"/>, the client
/// chat and serve use, so the three share one generation path (sampling, stop tokens, context handling).
/// </summary>
public static class Generate
{
    /// <summary>Generates.</summary>
    public static GenerateResponse Run(GenerateRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        // The model file first: a broken or empty model must be reported as such, not as a tokenizer problem.
        LlamaModel.Validate(request.Model);
        var local = new LocalModel(request.Model, request.Tokenizer, null, request.Adapter);
        var encoder = PlainEncoder(local);
        using var pool = request.Threads > 1 ? new WorkerPool(request.Threads) : null;
        var model = local.LoadModel(pool);
        var warnings = new List<string>();
        if (encoder.Tokenizer.VocabSize != model.Config.VocabSize)
            warnings.Add($"the tokenizer has {encoder.Tokenizer.VocabSize} tokens and the model {model.Config.VocabSize}; is --tokenizer the model's own?");
        using var client = new LocalChatClient(model, encoder,
            new LocalChatClientOptions { Pool = pool, MaxContext = Math.Min(model.Config.MaxSeqLen, LlamaModel.DefaultMaxContext) }, ownsModel: true);
        var ids = client.Tokenizer.Encode(request.Prompt, addBos: true);
        if (ids.Length == 0)
            throw new UseCaseException("the tokenizer has no BOS token, so an empty --prompt cannot start generation; give some prompt text.");
        var room = client.MaxContext - ids.Length;
        if (room < 1)
            throw new UseCaseException($"the prompt has {ids.Length} tokens and fills the model's context of {client.MaxContext}; shorten --prompt.");
        var options = new ChatOptions
        {
            Temperature = request.Temperature, TopP = request.TopP, TopK = request.TopK, Seed = request.Seed is { } s ? unchecked((long)s) : null,
            MaxOutputTokens = Math.Min(request.MaxTokens, room),
        };
        var clock = Stopwatch.StartNew();
        var result = client.Complete(ids, options, cancellationToken: ct);
        clock.Stop();
        var text = request.Prompt.Length == 0 ? result.Text.TrimStart() : request.Prompt + result.Text;
        var seconds = clock.Elapsed.TotalSeconds;
        return new GenerateResponse(request.Model, request.Adapter, request.Prompt, text, result.Text, result.PromptTokens, result.OutputTokens, result.Reason,
            seconds, seconds > 0 ? result.OutputTokens / seconds : 0) { Warnings = warnings };
    }

    /// <summary>
    /// The model's tokenizer with its chat template; generation renders no chat, so a model without a template gets
    /// ChatML only to make the encoder (its end-of-turn marker is one more stop string, which plain text never holds).
    /// </summary>
    private static ChatEncoder PlainEncoder(LocalModel local)
    {
        try
        {
            return local.LoadEncoder();
        }
        catch (ChatTemplateException)
        {
            return (local with { Template = "chatml" }).LoadEncoder();
        }
    }
}
