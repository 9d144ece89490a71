using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Prompting.Files;
using Hone.Prompting.Rendering;
using Hone.Store;

namespace Hone.Prompting.Bake;

/// <summary>What <c>hone data bake</c> does.</summary>
/// <param name="Prompt">The prompt whose system message and few-shot examples go into every example.</param>
/// <param name="DataPath">Training examples (OpenAI chat JSONL); never modified.</param>
/// <param name="OutPath">Where the baked examples are written (atomically).</param>
/// <param name="FewShot">Put the prompt's few-shot turns after the system message (default true).</param>
public sealed record BakeRequest(PromptFile Prompt, string DataPath, string OutPath, bool FewShot = true);

/// <summary>The diff summary of a bake.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="DataPath">The input.</param>
/// <param name="OutPath">The output.</param>
/// <param name="Examples">Examples written.</param>
/// <param name="SystemReplaced">Examples whose system message was replaced by the prompt's.</param>
/// <param name="SystemAdded">Examples that had none and got the prompt's.</param>
/// <param name="SystemUnchanged">Examples whose system message already was the prompt's.</param>
/// <param name="FewShotTurnsAdded">Few-shot messages added over all examples.</param>
/// <param name="CharsBefore">Characters of message content before.</param>
/// <param name="CharsAfter">Characters after.</param>
/// <param name="ExampleBefore">The first changed example's system message before (null: it had none).</param>
/// <param name="ExampleAfter">Its system message after.</param>
public sealed record BakeResult(string Prompt, string DataPath, string OutPath, int Examples, int SystemReplaced, int SystemAdded, int SystemUnchanged,
    int FewShotTurnsAdded, long CharsBefore, long CharsAfter, string? ExampleBefore, string? ExampleAfter);

/// <summary>
/// <c>hone data bake</c>: writes a prompt into every training example, so the model is trained on the prompt it will be
/// used with: the system message becomes the prompt's (rendered with the example's own fields), and its few-shot
/// turns follow it. Every other key of an example is kept. The input is never modified; the output is written at once
/// (atomically), or not at all when a line is invalid.
/// </summary>
public static class DataBaker
{
    /// <summary>Bakes; throws <see cref="PromptFileException"/> or <see cref="InvalidDataException"/> with file:line before writing anything.</summary>
    public static BakeResult Bake(BakeRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Prompt;
        if (p.IsChain) throw new PromptFileException(p.SourcePath, 0, "a chain cannot be baked into training examples; bake the prompt of the step the model is trained for.");
        if (p.System is null && (p.FewShot.Count == 0 || !r.FewShot))
            throw new PromptFileException(p.SourcePath, 0, "the prompt has no system message (and no few-shot examples to bake); there is nothing to write into the examples.");
        var data = Path.GetFullPath(r.DataPath);
        var outPath = Path.GetFullPath(r.OutPath);
        if (!File.Exists(data)) throw new FileNotFoundException($"{data}: training data not found.");
        if (string.Equals(data, outPath, StringComparison.Ordinal)) throw new ArgumentException($"--out {outPath} is the input file; inputs are never modified: choose another path.", nameof(r));
        var lines = new List<string>();
        int n = 0, replaced = 0, added = 0, same = 0, shots = 0, lineNo = 0;
        long before = 0, after = 0;
        string? exBefore = null, exAfter = null;
        foreach (var text in File.ReadLines(data))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonObject item;
            try { item = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{data}:{lineNo}: each line must be a JSON object."); }
            catch (JsonException e) { throw new InvalidDataException($"{data}:{lineNo}: invalid JSON: {e.Message}", e); }
            if (item["messages"] is not JsonArray messages || messages.Count == 0)
                throw new InvalidDataException($"{data}:{lineNo}: no 'messages': bake writes into chat examples (OpenAI chat JSONL).");
            before += Chars(messages);
            var first = messages[0] as JsonObject;
            bool hasSystem = first?["role"]?.GetValue<string>() == "system";
            string? oldSystem = hasSystem ? first!["content"]?.ToString() : null;
            var copy = (JsonArray)messages.DeepClone();
            if (hasSystem) copy.RemoveAt(0);
            int at = 0;
            string? newSystem = null;
            if (p.System is { } s)
            {
                var vars = PromptVariables.Of(JsonSerializer.SerializeToElement(item));
                newSystem = s.Render(vars, $"example on {data}:{lineNo}");
                copy.Insert(at++, new JsonObject { ["role"] = "system", ["content"] = newSystem });
            }
            else if (hasSystem) copy.Insert(at++, messages[0]!.DeepClone());
            if (r.FewShot)
                foreach (var (role, content) in p.FewShot.SelectMany(e => e.Messages))
                {
                    copy.Insert(at++, new JsonObject { ["role"] = role, ["content"] = content });
                    shots++;
                }
            if (newSystem is not null)
            {
                if (oldSystem is null) added++;
                else if (oldSystem == newSystem) same++;
                else replaced++;
                if (oldSystem != newSystem && exAfter is null) (exBefore, exAfter) = (oldSystem, newSystem);
            }
            item["messages"] = copy;
            after += Chars(copy);
            lines.Add(item.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            n++;
        }
        if (n == 0) throw new InvalidDataException($"{data}: no examples.");
        AtomicFile.WriteText(outPath, w => { foreach (var l in lines) w.WriteLine(l); });
        return new BakeResult(p.Name, data, outPath, n, replaced, added, same, shots, before, after, exBefore, exAfter);
    }

    private static long Chars(JsonArray messages) => messages.OfType<JsonObject>().Sum(m => (long)(m["content"] is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : 0));
}
