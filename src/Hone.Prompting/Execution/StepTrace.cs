using System.Text.Json;
using Hone.Evals.Graders;

namespace Hone.Prompting.Execution;

/// <summary>What one step of a case did: its input, output, tool calls, tokens, cost, latency and gate.</summary>
public sealed record StepTrace
{
    /// <summary>The step's name.</summary>
    public required string Step { get; init; }

    /// <summary>The messages it sent (<c>[{role, content}]</c>).</summary>
    public JsonElement Input { get; init; }

    /// <summary>Its output text.</summary>
    public string Output { get; init; } = "";

    /// <summary>Tool calls the model made (run, or only declared).</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>Model calls the step made (more than one when tools ran).</summary>
    public int Calls { get; init; }

    /// <summary>Prompt tokens over its calls.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens over its calls.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Dollars over its calls when a price is known.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Wall time of its calls in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>True when every call was answered from the cache.</summary>
    public bool CacheHit { get; init; }

    /// <summary>Why its output ended.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The gate's grader, if the step has one.</summary>
    public string? Gate { get; init; }

    /// <summary>Whether the gate passed (null without a gate).</summary>
    public bool? GatePassed { get; init; }

    /// <summary>What went wrong in this step (a failed gate, the tool-round cap), or null.</summary>
    public string? Error { get; init; }
}
