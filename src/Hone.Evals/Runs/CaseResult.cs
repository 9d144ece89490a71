using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Evals.Graders;

namespace Hone.Evals.Runs;

/// <summary>One grader's verdict on one sample, as stored.</summary>
/// <param name="Grader">The grader's name.</param>
/// <param name="Score">Score in [0, 1].</param>
/// <param name="Pass">Whether the grader passed the sample.</param>
/// <param name="ErrorKind">The error kind (<see cref="GradeErrorKind"/> name), or null.</param>
/// <param name="Error">The error message, or null.</param>
/// <param name="Detail">The grader's explanation, if any.</param>
public sealed record GraderOutcome(string Grader, double Score, bool Pass, string? ErrorKind = null, string? Error = null, string? Detail = null)
{
    /// <summary>The stored form of a grade result.</summary>
    public static GraderOutcome From(GradeResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Grader, r.Score, r.Pass, r.IsError ? r.ErrorKind.ToString() : null, r.Error, r.Detail);
    }
}

/// <summary>One sample: one case at one repeat, the model's output and its grades.</summary>
public sealed record CaseResult
{
    /// <summary>The golden-set case id.</summary>
    public required string CaseId { get; init; }

    /// <summary>The repeat index, 0-based.</summary>
    public int Repeat { get; init; }

    /// <summary>The case's tags (edge-case names).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The model's text output.</summary>
    public string Output { get; init; } = "";

    /// <summary>The tool calls the model made.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>Every grader's verdict, in spec order (empty when the model call failed).</summary>
    public IReadOnlyList<GraderOutcome> Grades { get; init; } = [];

    /// <summary>True when the model answered and every grader passed.</summary>
    public bool Pass { get; init; }

    /// <summary>Latency of the model call in milliseconds (a cache hit is near 0).</summary>
    public double LatencyMs { get; init; }

    /// <summary>Prompt tokens reported by the endpoint.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens reported by the endpoint.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Cost in dollars when a price is known (0 for a cache hit), else null.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>True when the response came from the cache (no model call was paid for).</summary>
    public bool CacheHit { get; init; }

    /// <summary>Why the model call failed (after retries), or null. Such samples are retried when the run resumes.</summary>
    public string? Error { get; init; }

    /// <summary>JSON settings of the per-case JSONL artifact: snake_case, one line per sample.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One JSONL line.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses one JSONL line.</summary>
    public static CaseResult FromJsonLine(string line) =>
        JsonSerializer.Deserialize<CaseResult>(line, JsonOptions) ?? throw new JsonException("a case result line is null.");
}
