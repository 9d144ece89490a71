using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Data.Cost;
using Hone.Data.Model;

namespace Hone.Data.Checks;

/// <summary>Token statistics over the valid examples.</summary>
public sealed record TokenStats
{
    /// <summary>What counted the tokens.</summary>
    [JsonPropertyName("counter")] public required string Counter { get; init; }

    /// <summary>True when the counts are estimates.</summary>
    [JsonPropertyName("is_estimate")] public required bool IsEstimate { get; init; }

    /// <summary>Examples counted.</summary>
    [JsonPropertyName("examples")] public required int Examples { get; init; }

    /// <summary>Σ tokens.</summary>
    [JsonPropertyName("total")] public required long Total { get; init; }

    /// <summary>Fewest tokens.</summary>
    [JsonPropertyName("min")] public required int Min { get; init; }

    /// <summary>Most tokens.</summary>
    [JsonPropertyName("max")] public required int Max { get; init; }

    /// <summary>Arithmetic mean.</summary>
    [JsonPropertyName("mean")] public required double Mean { get; init; }

    /// <summary>50th percentile.</summary>
    [JsonPropertyName("median")] public required double Median { get; init; }

    /// <summary>5th percentile.</summary>
    [JsonPropertyName("p5")] public required double P5 { get; init; }

    /// <summary>95th percentile.</summary>
    [JsonPropertyName("p95")] public required double P95 { get; init; }

    /// <summary>How the percentiles are computed.</summary>
    [JsonPropertyName("percentile_method")] public string PercentileMethod { get; init; } = "linear interpolation between closest ranks (Hyndman-Fan type 7, numpy default)";

    /// <summary>The per-example limit.</summary>
    [JsonPropertyName("context_limit")] public required int ContextLimit { get; init; }

    /// <summary>Where the limit came from.</summary>
    [JsonPropertyName("context_limit_source")] public required string ContextLimitSource { get; init; }

    /// <summary>Examples over the limit.</summary>
    [JsonPropertyName("over_limit")] public required int OverLimit { get; init; }

    /// <summary>What training will do with the examples over the limit (null when none is over it).</summary>
    [JsonPropertyName("over_limit_action")] public string? OverLimitAction { get; init; }
}

/// <summary>One label of classification-style outputs.</summary>
public sealed record LabelCount([property: JsonPropertyName("label")] string Label, [property: JsonPropertyName("count")] int Count);

/// <summary>A distinct system prompt and how many examples use it.</summary>
public sealed record SystemPromptCount([property: JsonPropertyName("preview")] string Preview, [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("first_line")] long FirstLine);

/// <summary>The dataset-level analyses.</summary>
public sealed record DatasetStats
{
    /// <summary>Examples identical to an earlier one after normalisation (case, whitespace).</summary>
    [JsonPropertyName("exact_duplicates")] public required int ExactDuplicates { get; init; }

    /// <summary>Examples in a near-duplicate pair (not counting exact duplicates), or null when not computed.</summary>
    [JsonPropertyName("near_duplicates")] public int? NearDuplicates { get; init; }

    /// <summary>How near-duplicates are found.</summary>
    [JsonPropertyName("near_duplicate_method")] public string? NearDuplicateMethod { get; init; }

    /// <summary>Examples whose normalised input was seen before with a different output.</summary>
    [JsonPropertyName("contradictions")] public required int Contradictions { get; init; }

    /// <summary>Label distribution when outputs look like classification labels, else null.</summary>
    [JsonPropertyName("labels")] public IReadOnlyList<LabelCount>? Labels { get; init; }

    /// <summary>Number of distinct system prompts.</summary>
    [JsonPropertyName("distinct_system_prompts")] public required int DistinctSystemPrompts { get; init; }

    /// <summary>Examples without a system prompt.</summary>
    [JsonPropertyName("examples_without_system_prompt")] public required int ExamplesWithoutSystemPrompt { get; init; }

    /// <summary>The most used system prompts (up to 5).</summary>
    [JsonPropertyName("system_prompts")] public required IReadOnlyList<SystemPromptCount> SystemPrompts { get; init; }

    /// <summary>Validation examples whose input also appears in training, or null without a validation file.</summary>
    [JsonPropertyName("leaked_valid_examples")] public int? LeakedValidExamples { get; init; }

    /// <summary>Valid examples in the validation file, or null without one.</summary>
    [JsonPropertyName("valid_examples")] public int? ValidExamples { get; init; }
}

/// <summary>The result of <see cref="DataChecker"/>: findings, statistics and the cost estimate; serialises to JSON for <c>--json</c>.</summary>
public sealed record DataCheckReport
{
    /// <summary>The checked file.</summary>
    [JsonPropertyName("file")] public required string File { get; init; }

    /// <summary>The kind the file was checked as.</summary>
    [JsonPropertyName("kind")] [JsonConverter(typeof(JsonStringEnumConverter<DataKind>))] public required DataKind Kind { get; init; }

    /// <summary>True when the kind was detected rather than given.</summary>
    [JsonPropertyName("kind_detected")] public required bool KindDetected { get; init; }

    /// <summary>Lines read.</summary>
    [JsonPropertyName("lines")] public required long Lines { get; init; }

    /// <summary>Bytes read.</summary>
    [JsonPropertyName("bytes")] public required long Bytes { get; init; }

    /// <summary>Lines holding a JSON object.</summary>
    [JsonPropertyName("examples")] public required long Examples { get; init; }

    /// <summary>Examples without any error.</summary>
    [JsonPropertyName("valid_examples")] public required int ValidExamples { get; init; }

    /// <summary>Number of error findings (all, not only the listed ones).</summary>
    [JsonPropertyName("errors")] public required long Errors { get; init; }

    /// <summary>Number of warning findings.</summary>
    [JsonPropertyName("warnings")] public required long Warnings { get; init; }

    /// <summary>Number of info findings.</summary>
    [JsonPropertyName("infos")] public required long Infos { get; init; }

    /// <summary>Count of findings per code.</summary>
    [JsonPropertyName("counts_by_code")] public required IReadOnlyDictionary<string, long> CountsByCode { get; init; }

    /// <summary>The findings, by line; at most <see cref="DataCheckOptions.MaxFindingsPerCode"/> per code.</summary>
    [JsonPropertyName("findings")] public required IReadOnlyList<DataFinding> Findings { get; init; }

    /// <summary>True when some findings were counted but not listed.</summary>
    [JsonPropertyName("findings_truncated")] public required bool FindingsTruncated { get; init; }

    /// <summary>Token statistics, or null when no example was valid.</summary>
    [JsonPropertyName("tokens")] public TokenStats? Tokens { get; init; }

    /// <summary>Duplicates, contradictions, balance, system prompts, leakage.</summary>
    [JsonPropertyName("dataset")] public required DatasetStats Dataset { get; init; }

    /// <summary>The cost estimate, or null when no example was valid.</summary>
    [JsonPropertyName("cost")] public CostEstimate? Cost { get; init; }

    /// <summary>True when any error was found (<c>hone data check</c> exits 1).</summary>
    [JsonPropertyName("has_errors")] public bool HasErrors => Errors > 0;

    /// <summary>The exit code: 1 when errors were found, else 0.</summary>
    [JsonIgnore] public int ExitCode => HasErrors ? 1 : 0;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
