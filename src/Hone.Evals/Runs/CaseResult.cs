using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
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
/// <param name="Label">The predicted label (classification, label_model, string_check eq: the compared input), if any.</param>
/// <param name="ExpectedLabel">The expected label (classification, string_check eq: the reference), if any.</param>
public sealed record GraderOutcome(string Grader, double Score, bool Pass, string? ErrorKind = null, string? Error = null, string? Detail = null,
    string? Label = null, string? ExpectedLabel = null)
{
    /// <summary>The stored form of a grade result.</summary>
    public static GraderOutcome From(GradeResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Grader, r.Score, r.Pass, r.IsError ? r.ErrorKind.ToString() : null, r.Error, r.Detail, r.Label, r.ExpectedLabel);
    }
}

/// <summary>What became of one sample.</summary>
public enum SampleStatus
{
    /// <summary>The model answered and the answer was graded.</summary>
    Ok,

    /// <summary>The prompt was longer than the context, so its oldest tokens were dropped before the model answered (--on-overflow truncate-start).</summary>
    Truncated,

    /// <summary>The prompt was longer than the context, so the case was not sent (--on-overflow skip): no verdict, not counted in accuracy.</summary>
    Skipped,

    /// <summary>The model call failed (<see cref="CaseResult.Error"/> says why); retried when the run resumes.</summary>
    Error,
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

    /// <summary>Every grader's verdict, in spec order (empty when the model call failed or the case was skipped).</summary>
    public IReadOnlyList<GraderOutcome> Grades { get; init; } = [];

    /// <summary>True when the model answered and the headline grader passed: the spec's primary metric, or else every grader.</summary>
    public bool Pass { get; init; }

    /// <summary>What became of the sample (ok, truncated, skipped, error).</summary>
    public SampleStatus Status { get; init; }

    /// <summary>Why the sample was truncated or skipped (prompt and context sizes), or null. Starts with
    /// <see cref="OverLong"/> when the prompt did not fit the model's context (skipped, or failed under --on-overflow fail).</summary>
    public string? StatusDetail { get; init; }

    /// <summary>The start of <see cref="StatusDetail"/> for a prompt longer than the model's context.</summary>
    public const string OverLong = "over-long";

    /// <summary>True when the prompt did not fit the model's context (skipped, or a failed call under --on-overflow fail).</summary>
    [JsonIgnore]
    public bool IsOverLong => StatusDetail?.StartsWith(OverLong, StringComparison.Ordinal) == true;

    /// <summary>Prompt tokens dropped to fit the context (status truncated), or null.</summary>
    public long? PromptTokensDropped { get; init; }

    /// <summary>Why the output ended: <c>stop</c> (on its own), <c>length</c> (at the token limit), <c>tool_calls</c>,
    /// <c>content_filter</c>; null when the provider did not say.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The messages sent to the model (<c>[{role, content}]</c>), or null in runs made before they were recorded.</summary>
    public JsonElement? Input { get; init; }

    /// <summary>The reference answer of the case (the spec's <c>reference</c>, else the case's trailing assistant
    /// message, else the headline grader's reference), or null when none is known.</summary>
    public string? Reference { get; init; }

    /// <summary>True when the model answered (the call did not fail and the case was not skipped).</summary>
    [JsonIgnore]
    public bool Answered => Error is null && Status != SampleStatus.Skipped;

    /// <summary>True when the model answered but some grader reported an error (missing field, parse error, ...).</summary>
    [JsonIgnore]
    public bool HasGraderError => Answered && Grades.Any(g => g.ErrorKind is not null);

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

    /// <summary>Each step's input, output, tokens, cost and latency when a prompt or chain file sent the case, or null.</summary>
    public JsonElement? Steps { get; init; }

    /// <summary>The step of a chain where the case went wrong (a failed gate, a failed call, the tool-round cap), or null.</summary>
    public string? FailedStep { get; init; }

    /// <summary>Why the model call failed (after retries), or null. Such samples are retried when the run resumes.</summary>
    public string? Error { get; init; }

    /// <summary>JSON settings of the per-case JSONL artifact: snake_case, one line per sample.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>One JSONL line.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The recorded messages sent to the model as role/content objects (empty for runs made before inputs were recorded).</summary>
    public List<JsonObject> InputMessages()
    {
        if (Input is not { ValueKind: JsonValueKind.Array } input) return [];
        return [.. input.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.Object)
            .Select(m => new JsonObject
            {
                ["role"] = m.TryGetProperty("role", out var role) ? role.GetString() : "user",
                ["content"] = m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : content.ToString(),
            })];
    }

    /// <summary>Parses one JSONL line.</summary>
    public static CaseResult FromJsonLine(string line) =>
        JsonSerializer.Deserialize<CaseResult>(line, JsonOptions) ?? throw new JsonException("a case result line is null.");
}
