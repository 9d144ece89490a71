using System.Text.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// <c>json_field_match</c>: compares chosen fields of the output JSON with the same fields of a reference object, each
/// scored 1 when semantically equal (<see cref="JsonEquality"/>) and 0 otherwise (absent in the output counts as 0).
/// The score is the mean over fields; per-field scores are in <see cref="GradeResult.FieldScores"/>.
/// </summary>
/// <remarks>
/// The input (default <c>{{sample.output_text}}</c>) must be JSON, else a parse error. The reference is normally a
/// sole reference such as <c>{{item.expected}}</c> naming an object (a string holding JSON is parsed). With no
/// <c>fields</c>, every top-level field of the reference is compared. A field absent from the reference is a
/// missing-field error: the golden set is incomplete.
/// </remarks>
public sealed class JsonFieldMatchGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public JsonFieldMatchGrader(string name, Template input, Template reference, IReadOnlyList<string> fields, double passThreshold)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Fields = fields;
        PassThreshold = passThreshold;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold { get; }

    /// <summary>The output JSON.</summary>
    public Template Input { get; }

    /// <summary>The reference object.</summary>
    public Template Reference { get; }

    /// <summary>Relative field paths compared (dots, <c>[i]</c> for array elements); empty = all top-level fields.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        if (!JsonValues.TryResolve(Reference, ctx, out var reference, out var refErr))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"reference {Reference.Source}: {refErr}");
        if (!JsonValues.TryResolve(Input, ctx, out var output, out var outErr))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"output {Input.Source}: {outErr}");
        var fields = Fields.Count > 0
            ? Fields
            : reference.ValueKind == JsonValueKind.Object ? reference.EnumerateObject().Select(p => p.Name).ToList() : [];
        if (fields.Count == 0)
            return GradeResult.Failed(Name, GradeErrorKind.MissingField, $"reference {Reference.Source} is not an object with fields, and no 'fields' are configured.");
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var f in fields)
        {
            if (!JsonValues.TryGet(reference, f, out var want))
                return GradeResult.Failed(Name, GradeErrorKind.MissingField, $"reference {Reference.Source} has no field '{f}'; add it to the golden set or remove it from 'fields'.");
            scores[f] = JsonValues.TryGet(output, f, out var got) && JsonEquality.Equal(want, got) ? 1 : 0;
        }
        var mismatched = scores.Where(kv => kv.Value < 1).Select(kv => kv.Key).ToList();
        return GradeResult.Scored(Name, scores.Values.Average(), PassThreshold) with
        {
            FieldScores = scores,
            Detail = mismatched.Count == 0 ? null : "mismatched: " + string.Join(", ", mismatched),
        };
    });
}
