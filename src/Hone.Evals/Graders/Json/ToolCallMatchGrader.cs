using System.Text.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// <c>tool_call_match</c>: compares the model's tool calls (default <c>{{sample.output_tools}}</c>) with the expected
/// calls (a sole reference such as <c>{{item.expected_tools}}</c>: a list, or one call).
/// </summary>
/// <remarks>
/// A call is <c>{"name": ..., "arguments": ...}</c> or OpenAI's <c>{"type": "function", "function": {"name": ...,
/// "arguments": ...}}</c>; arguments are a JSON object or a string holding JSON. Arguments compare as JSON
/// (<see cref="JsonEquality"/>: key order ignored, numbers by value). Each expected call earns 0.5 for the right
/// function name and 0.5 more for equal arguments; calls are paired in order when <see cref="Ordered"/>, otherwise
/// each expected call takes the first unused actual call that matches fully, then by name. Score = earned /
/// max(expected count, actual count), so missing and extra calls both cost; no calls expected and none made scores 1.
/// Arguments the model produced that are not valid JSON make the result a parse error (never a pass).
/// </remarks>
public sealed class ToolCallMatchGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public ToolCallMatchGrader(string name, Template input, Template reference, bool ordered, double passThreshold)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Ordered = ordered;
        PassThreshold = passThreshold;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold { get; }

    /// <summary>The actual calls.</summary>
    public Template Input { get; }

    /// <summary>The expected calls.</summary>
    public Template Reference { get; }

    /// <summary>Whether the calls must come in the expected order.</summary>
    public bool Ordered { get; }

    private sealed record Call(string Name, JsonElement Arguments);

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        if (!JsonValues.TryResolve(Reference, ctx, out var refJson, out var err) || !TryCalls(refJson, out var expected, out err))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"expected calls {Reference.Source}: {err}");
        if (!JsonValues.TryResolve(Input, ctx, out var outJson, out err) || !TryCalls(outJson, out var actual, out err))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"model calls {Input.Source}: {err}");
        int denom = Math.Max(expected.Count, actual.Count);
        if (denom == 0) return GradeResult.Scored(Name, 1, PassThreshold);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var pairing = Ordered ? PairInOrder(expected, actual) : PairAnyOrder(expected, actual);
        double earned = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var a = pairing[i];
            double nameOk = a is not null && a.Name == expected[i].Name ? 1 : 0;
            double argsOk = nameOk == 1 && JsonEquality.Equal(expected[i].Arguments, a!.Arguments) ? 1 : 0;
            scores[$"calls[{i}].name"] = nameOk;
            scores[$"calls[{i}].arguments"] = argsOk;
            earned += 0.5 * nameOk + 0.5 * argsOk;
        }
        return GradeResult.Scored(Name, earned / denom, PassThreshold) with
        {
            FieldScores = scores,
            Detail = $"{expected.Count} expected, {actual.Count} made",
        };
    });

    private static Call?[] PairInOrder(List<Call> expected, List<Call> actual) =>
        expected.Select((_, i) => i < actual.Count ? actual[i] : null).ToArray();

    private static Call?[] PairAnyOrder(List<Call> expected, List<Call> actual)
    {
        var used = new bool[actual.Count];
        var pairing = new Call?[expected.Count];
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < expected.Count; i++)
            {
                if (pairing[i] is not null) continue;
                for (int j = 0; j < actual.Count; j++)
                {
                    if (used[j] || actual[j].Name != expected[i].Name) continue;
                    if (pass == 0 && !JsonEquality.Equal(actual[j].Arguments, expected[i].Arguments)) continue;
                    used[j] = true;
                    pairing[i] = actual[j];
                    break;
                }
            }
        }
        return pairing;
    }

    private static bool TryCalls(JsonElement v, out List<Call> calls, out string? error)
    {
        calls = [];
        var items = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [v];
        for (int i = 0; i < items.Count; i++)
        {
            var c = items[i];
            if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("function", out var fn) && fn.ValueKind == JsonValueKind.Object) c = fn;
            if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                error = $"call [{i}] is not an object with a string 'name' (or a 'function' object holding one).";
                return false;
            }
            JsonElement args;
            if (!c.TryGetProperty("arguments", out args) || args.ValueKind == JsonValueKind.Null)
                args = JsonSerializer.SerializeToElement(new Dictionary<string, object>());
            else if (args.ValueKind == JsonValueKind.String)
            {
                var text = args.GetString()!;
                if (string.IsNullOrWhiteSpace(text)) args = JsonSerializer.SerializeToElement(new Dictionary<string, object>());
                else if (!JsonValidGrader.TryParse(text, out args, out var perr))
                {
                    error = $"call [{i}] '{name.GetString()}': arguments are {perr}";
                    return false;
                }
            }
            calls.Add(new Call(name.GetString()!, args));
        }
        error = null;
        return true;
    }
}
