using System.Text.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// <c>json_valid</c>: score 1 when the rendered input (default <c>{{sample.output_text}}</c>) parses as JSON, else a
/// parse-error result (score 0, never a pass) whose message gives the parser's position.
/// </summary>
public sealed class JsonValidGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public JsonValidGrader(string name, Template input)
    {
        Name = name;
        Input = input;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The text that must be JSON.</summary>
    public Template Input { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
        TryParse(Input.Render(ctx), out _, out var err)
            ? GradeResult.Scored(Name, 1, PassThreshold)
            : GradeResult.Failed(Name, GradeErrorKind.ParseError, err!));

    /// <summary>Parses JSON text (depth ≤ 64); false with a message saying where parsing failed.</summary>
    public static bool TryParse(string text, out JsonElement value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            value = doc.RootElement.Clone();
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            value = default;
            error = $"not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}): {e.Message}";
            return false;
        }
    }
}
