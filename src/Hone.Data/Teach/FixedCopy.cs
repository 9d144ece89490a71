using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Data.Checks;

namespace Hone.Data.Teach;

/// <summary>An accepted fix: the example on <paramref name="Line"/> gets <paramref name="Answer"/> as its final assistant message.</summary>
/// <param name="Line">The example's line (1-based).</param>
/// <param name="Answer">The corrected answer.</param>
/// <param name="Provenance">Recorded as the example's <c>metadata.review</c> (who proposed it, why, the answer replaced), or null.</param>
public sealed record AnswerFix(long Line, string Answer, JsonObject? Provenance = null);

/// <summary>
/// Writes a copy of an SFT file with accepted fixes applied (<c>hone data review --apply</c>): each fixed example's
/// last assistant message gets the corrected content and the fix's provenance; every other line is copied as it is.
/// The copy is written atomically (<see cref="AtomicFile"/>) and never over the input; a fix whose example is not an
/// SFT example, or whose fixed example breaks a data check rule, stops the write with nothing written.
/// </summary>
public static class FixedCopy
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="output"/>: <paramref name="input"/> with <paramref name="fixes"/> applied; returns the lines changed.</summary>
    /// <exception cref="HoneException">The output is the input (conflict), or a fix cannot be applied (input).</exception>
    public static int Write(string input, string output, IReadOnlyList<AnswerFix> fixes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        ArgumentException.ThrowIfNullOrWhiteSpace(output);
        ArgumentNullException.ThrowIfNull(fixes);
        if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            throw new HoneException(ErrorKind.Conflict, $"{output}: the fixed copy cannot replace its input; give --out a new file.");
        var byLine = new Dictionary<long, AnswerFix>();
        foreach (var f in fixes)
        {
            if (!byLine.TryAdd(f.Line, f)) throw HoneException.Input($"{input}:{f.Line}: two fixes for the same line.");
        }
        var lines = File.ReadAllLines(input);
        foreach (var f in byLine.Values)
        {
            if (f.Line < 1 || f.Line > lines.Length) throw HoneException.Input($"{input}: no line {f.Line} (the file has {lines.Length}).");
            var where = new ErrorLocation(input, f.Line);
            JsonObject example;
            try { example = JsonNode.Parse(lines[f.Line - 1]) as JsonObject ?? throw HoneException.Input("the line is not a JSON object.", where); }
            catch (JsonException e) { throw HoneException.Input($"{input}:{f.Line}: not JSON ({JsonErrors.Clean(e.Message)}).", where); }
            if (example["messages"] is not JsonArray { Count: > 0 } messages || messages[^1] is not JsonObject last || (string?)last["role"] != "assistant")
                throw HoneException.Input($"{input}:{f.Line}: the example does not end with an assistant message; only SFT answers can be fixed.", where);
            if (string.IsNullOrWhiteSpace(f.Answer)) throw HoneException.Input($"{input}:{f.Line}: the fix is empty.", where);
            last["content"] = f.Answer;
            last.Remove("tool_calls");
            if (f.Provenance is { } p)
            {
                var meta = example["metadata"] as JsonObject ?? new JsonObject();
                meta["review"] = p.DeepClone();
                example["metadata"] = meta;
            }
            var verdict = ExampleScreen.Screen([new ScreenReference($"line {f.Line}", JsonSerializer.SerializeToElement(example))], [], [])[0];
            if (!verdict.Kept) throw HoneException.Input($"{input}:{f.Line}: the fixed example breaks a data rule: {verdict.Reason}", where);
            lines[f.Line - 1] = example.ToJsonString(Json);
        }
        AtomicFile.WriteText(output, w =>
        {
            foreach (var l in lines) w.Write(l + "\n");
        });
        return byLine.Count;
    }
}
