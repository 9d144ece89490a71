using System.Text.Json;
using Hone.Evals.Specs;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Runs;

/// <summary>
/// How each case is sent when the spec's own prompt is not used: a prompt or chain file (Hone.Prompting). It renders
/// the requests, calls the model (one or more steps, tools), and answers with the response the graders judge.
/// </summary>
public interface ICaseProgram
{
    /// <summary>Its name (recorded as the run's <c>eval.prompt</c> tag).</summary>
    string Name { get; }

    /// <summary>A content hash of everything that decides its requests (part of the run's identity).</summary>
    string Identity { get; }

    /// <summary>The first request of <paramref name="c"/>, rendered before anything is sent so a bad template fails the run up front.</summary>
    IReadOnlyList<ChatMessage> FirstRequest(GoldenCase c);

    /// <summary>Runs the case: <paramref name="defaults"/> are the spec's options (temperature, max tokens, seed for the repeat).</summary>
    Task<CaseAnswer> AnswerAsync(IChatClient client, GoldenCase c, ChatOptions defaults, int repeat, CancellationToken ct);
}

/// <summary>What a program answered for one case.</summary>
/// <param name="Response">The response the graders judge (usage and cost summed over every call it made).</param>
/// <param name="Input">The messages of its first request.</param>
public sealed record CaseAnswer(ChatResponse Response, IReadOnlyList<ChatMessage> Input)
{
    /// <summary>Every step's input, output, tokens, cost and latency (a JSON array), or null.</summary>
    public JsonElement? Steps { get; init; }

    /// <summary>The step where the case went wrong (a failed gate, a failed call, the tool-round cap), or null.</summary>
    public string? FailedStep { get; init; }

    /// <summary>The step whose answer the graders judge (a chain's last step run), or null for a single prompt; a case
    /// that fails the graders is attributed to it.</summary>
    public string? FinalStep { get; init; }
}

/// <summary>An exception that names the step of a chain where a case failed.</summary>
public interface ICaseStepError
{
    /// <summary>The step's name.</summary>
    string Step { get; }
}
