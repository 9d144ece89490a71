using System.Text.Json.Serialization;

namespace Hone.Data.Checks;

/// <summary>How serious a finding is. Errors make <c>hone data check</c> exit 1.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FindingSeverity>))]
public enum FindingSeverity
{
    /// <summary>Information: nothing to fix.</summary>
    Info,

    /// <summary>Likely a problem in the data; training still works.</summary>
    Warning,

    /// <summary>The file would be rejected or would train on something broken.</summary>
    Error,
}

/// <summary>
/// One problem found in a data file.
/// </summary>
/// <param name="Severity">error, warning or info.</param>
/// <param name="Code">A stable snake_case code from <see cref="FindingCodes"/>.</param>
/// <param name="Line">1-based line number in the file, or null for a finding about the whole file.</param>
/// <param name="Path">JSON path inside the line, like <c>$.messages[2].content</c>, or null.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
/// <param name="Fix">How to fix it.</param>
public sealed record DataFinding(
    [property: JsonPropertyName("severity")] FindingSeverity Severity,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("line")] long? Line,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("fix")] string Fix)
{
    /// <summary>Optional 1-based byte column within the line (invalid JSON, invalid UTF-8).</summary>
    [JsonPropertyName("column")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Column { get; init; }

    /// <summary>Optional name of the file the finding is in, when a check reads more than one file.</summary>
    [JsonPropertyName("file")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? File { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var where = Line is { } l ? (Column is { } c ? $"line {l}:{c}" : $"line {l}") : "file";
        var path = Path is null ? "" : " " + Path;
        return $"{Severity.ToString().ToUpperInvariant()} {Code} ({where}{path}): {Message} Fix: {Fix}";
    }
}
