using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Synthesis;

/// <summary>A case a model gets wrong, as the teacher is shown it.</summary>
/// <param name="Id">The case id (never shown to the teacher; recorded in provenance).</param>
/// <param name="Item">The case's JSON object: golden-set fields, or <c>messages</c> (shown without <c>id</c> and <c>tags</c>).</param>
/// <param name="Tags">The case's tags (edge-case names).</param>
/// <param name="Output">What the model answered, or null.</param>
/// <param name="Reason">Why the answer failed (the graders' reasons), or null.</param>
public sealed record FailingCase(string Id, JsonElement Item, IReadOnlyList<string> Tags, string? Output = null, string? Reason = null);

/// <summary>One request to the teacher.</summary>
/// <param name="System">The instruction.</param>
/// <param name="User">The failing cases and the count asked for.</param>
/// <param name="Count">How many new cases were asked for.</param>
/// <param name="CaseIds">The failing cases shown.</param>
public sealed record SynthesisPrompt(string System, string User, int Count, IReadOnlyList<string> CaseIds);

/// <summary>One line of the teacher's answer: a new case, or why it could not be read.</summary>
/// <param name="Item">The new case (without <c>id</c> and <c>tags</c>), or null.</param>
/// <param name="Raw">The line as written.</param>
/// <param name="Error">Why the line is not a case, or null.</param>
public sealed record SynthesizedItem(JsonObject? Item, string Raw, string? Error);

/// <summary>The teacher's answer to one <see cref="SynthesisPrompt"/>.</summary>
public sealed record SynthesisBatch(SynthesisPrompt Prompt, IReadOnlyList<SynthesizedItem> Items, long InputTokens, long OutputTokens);

/// <summary>
/// The one synthesiser of new cases (used by <c>hone data synth</c> and by <c>hone migrate run</c> between rounds): a
/// teacher model is shown cases a model got wrong (their fields or messages, the wrong answer and the graders' reason)
/// and asked for new cases aimed at the same weakness, in the same JSON shape, with different details and never a copy;
/// it answers one JSON object a line. The requests are deterministic (seed per call), so a journalled run replays them.
/// </summary>
public sealed class CaseSynthesizer(IChatClient teacher, string? model = null, float temperature = 1f)
{
    /// <summary>The instruction the teacher gets.</summary>
    public const string Instruction =
        "You write new cases for a model's training set. You are shown cases the model got wrong, each as a JSON object, with its wrong answer " +
        "and why it failed when known. Write new cases aimed at the same weakness: the same JSON fields and format, similar length, " +
        "different details. Never copy or lightly reword a case shown. Where a case holds the expected answer (a reference field or a final " +
        "assistant message), write the correct answer for the new case there. Reply with one JSON object per line and nothing else.";

    /// <summary>Fields that are never shown (or taken from the teacher).</summary>
    public static readonly IReadOnlyList<string> HiddenFields = ["id", "tags"];

    /// <summary>The request for <paramref name="count"/> new cases like <paramref name="cases"/>.</summary>
    public static SynthesisPrompt Prompt(IReadOnlyList<FailingCase> cases, int count)
    {
        ArgumentNullException.ThrowIfNull(cases);
        if (cases.Count == 0) throw new ArgumentException("No failing case to write for.", nameof(cases));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var sb = new StringBuilder();
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            sb.Append("Case ").Append(i + 1).Append(":\n").Append(Shown(c.Item).ToJsonString()).Append('\n');
            if (c.Output is { } o) sb.Append("The model answered: ").Append(o).Append('\n');
            if (c.Reason is { Length: > 0 } r) sb.Append("Why it failed: ").Append(r).Append('\n');
            sb.Append('\n');
        }
        sb.Append("Write ").Append(count).Append(count == 1 ? " new case" : " new cases").Append(", one JSON object per line.");
        return new SynthesisPrompt(Instruction, sb.ToString(), count, [.. cases.Select(c => c.Id)]);
    }

    /// <summary>Asks the teacher for <paramref name="count"/> new cases; <paramref name="call"/> seeds the request.</summary>
    public async Task<SynthesisBatch> WriteAsync(IReadOnlyList<FailingCase> cases, int count, int call, CancellationToken ct = default)
    {
        var prompt = Prompt(cases, count);
        var response = await teacher.GetResponseAsync([new ChatMessage(ChatRole.System, prompt.System), new ChatMessage(ChatRole.User, prompt.User)],
            new ChatOptions { ModelId = model, Temperature = temperature, Seed = call + 1 }, ct).ConfigureAwait(false);
        return new SynthesisBatch(prompt, Parse(response.Text), response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
    }

    /// <summary>The cases in a teacher's answer: each non-blank line outside code fences, read as a JSON object.</summary>
    public static IReadOnlyList<SynthesizedItem> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var items = new List<SynthesizedItem>();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("```", StringComparison.Ordinal)) continue;
            try
            {
                if (JsonNode.Parse(line) is JsonObject o)
                {
                    foreach (var f in HiddenFields) o.Remove(f);
                    items.Add(new SynthesizedItem(o, line, null));
                }
                else items.Add(new SynthesizedItem(null, line, "the line is not a JSON object."));
            }
            catch (JsonException e)
            {
                items.Add(new SynthesizedItem(null, line, $"the line is not JSON: {Hone.Core.JsonErrors.Clean(e.Message)}"));
            }
        }
        return items;
    }

    private static JsonObject Shown(JsonElement item)
    {
        var o = JsonNode.Parse(item.GetRawText()) as JsonObject ?? throw new ArgumentException("A case must be a JSON object.", nameof(item));
        foreach (var f in HiddenFields) o.Remove(f);
        return o;
    }
}
