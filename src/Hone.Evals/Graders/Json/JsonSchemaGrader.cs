using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// <c>json_schema</c>: the rendered input (default <c>{{sample.output_text}}</c>) must parse as JSON (else a parse
/// error) and conform to <see cref="Schema"/>. Score 1 when it conforms, 0 otherwise; the violations go in
/// <see cref="GradeResult.Detail"/>.
/// </summary>
public sealed class JsonSchemaGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public JsonSchemaGrader(string name, Template input, JsonSchema schema)
    {
        Name = name;
        Input = input;
        Schema = schema;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The JSON text checked.</summary>
    public Template Input { get; }

    /// <summary>The schema.</summary>
    public JsonSchema Schema { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        if (!JsonValidGrader.TryParse(Input.Render(ctx), out var value, out var err))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, err!);
        var errors = Schema.Validate(value);
        return GradeResult.Scored(Name, errors.Count == 0 ? 1 : 0, PassThreshold) with
        {
            Detail = errors.Count == 0 ? null : string.Join("; ", errors.Take(20)),
        };
    });
}
