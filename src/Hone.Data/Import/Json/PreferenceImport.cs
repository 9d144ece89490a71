using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Import.Json;

/// <summary>
/// Hugging Face style preference JSON/JSONL → preference pairs: <c>{"prompt", "chosen", "rejected"}</c>.
/// <c>prompt</c> is a string (one user turn) or a list of <c>{role, content}</c> messages; <c>chosen</c> and
/// <c>rejected</c> are strings or message lists. When the prompt key is absent and both answers are full
/// conversations (the HH-RLHF style), the shared turns before the last assistant turn are the prompt.
/// Alpaca-style <c>instruction</c>/<c>input</c> is accepted in place of <c>prompt</c>.
/// </summary>
public sealed record PreferenceImportOptions : ImportOptions
{
    /// <summary>The prompt key; default <c>prompt</c>.</summary>
    public string PromptKey { get; init; } = "prompt";

    /// <summary>The preferred answer key; default <c>chosen</c>.</summary>
    public string ChosenKey { get; init; } = "chosen";

    /// <summary>The rejected answer key; default <c>rejected</c>.</summary>
    public string RejectedKey { get; init; } = "rejected";

    /// <summary>An optional system prompt key; default <c>system</c>.</summary>
    public string SystemKey { get; init; } = "system";

    /// <inheritdoc />
    public override DataKind Produces => DataKind.Dpo;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(PromptKey) || string.IsNullOrWhiteSpace(ChosenKey) || string.IsNullOrWhiteSpace(RejectedKey))
            throw new ArgumentException("Preference import: the prompt, chosen and rejected keys must be named.", nameof(PromptKey));
    }
}

/// <summary>Reads prompt/chosen/rejected records as preference pairs.</summary>
public static class PreferenceImporter
{
    /// <summary>The pairs, lazily; malformed records go to <paramref name="context"/>.</summary>
    public static IEnumerable<PreferenceExample> Read(PreferenceImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RecordJson.Convert(options.InputPath, context, r => Convert(r, options));
    }

    private static PreferenceExample Convert(JsonRecord r, PreferenceImportOptions o)
    {
        var rec = RecordJson.Object(r.Value, "$");
        var chosen = Messages(rec, o.ChosenKey, OpenAiRoles.Assistant);
        var rejected = Messages(rec, o.RejectedKey, OpenAiRoles.Assistant);
        List<ChatMessage> prompt;
        if (rec.TryGetProperty(o.PromptKey, out var p) && p.ValueKind != JsonValueKind.Null) prompt = Messages(rec, o.PromptKey, OpenAiRoles.User);
        else if (rec.TryGetProperty("instruction", out _))
        {
            var instruction = RecordJson.RequiredString(rec, "instruction", "$");
            var input = RecordJson.OptionalString(rec, "input", "$");
            prompt = [new ChatMessage(ChatRole.User, string.IsNullOrEmpty(input) ? instruction : instruction + "\n" + input)];
        }
        else
        {
            // HH-RLHF style: both answers are whole conversations sharing the turns before the final answer.
            if (chosen.Count < 2 || rejected.Count < 2)
                throw new RecordProblemException($"$.{o.PromptKey} is missing and the answers are not whole conversations; add a prompt.");
            var cp = chosen[..^1];
            var rp = rejected[..^1];
            if (!cp.Select(m => (m.Role, m.ContentText())).SequenceEqual(rp.Select(m => (m.Role, m.ContentText()))))
                throw new RecordProblemException($"$.{o.ChosenKey} and $.{o.RejectedKey} differ before their last turn, so the shared prompt is unclear; add a prompt.");
            prompt = cp;
            chosen = [chosen[^1]];
            rejected = [rejected[^1]];
        }
        var system = RecordJson.OptionalString(rec, o.SystemKey, "$");
        if (!string.IsNullOrEmpty(system) && !prompt.Any(m => m.Role == ChatRole.System)) prompt.Insert(0, new ChatMessage(ChatRole.System, system));
        if (prompt.Count == 0) throw new RecordProblemException($"$.{o.PromptKey} is empty.");
        foreach (var (list, key) in new[] { (chosen, o.ChosenKey), (rejected, o.RejectedKey) })
        {
            if (list.Count != 1 || list[0].Role != ChatRole.Assistant)
                throw new RecordProblemException($"$.{key} must be one assistant answer (a string or one assistant message).");
        }
        return new PreferenceExample { Input = new PreferenceInput { Messages = prompt }, PreferredOutput = chosen, NonPreferredOutput = rejected };
    }

    private static List<ChatMessage> Messages(JsonElement rec, string key, string stringRole)
    {
        if (!rec.TryGetProperty(key, out var v)) throw new RecordProblemException($"$.{key} is missing; a preference record needs it.");
        if (v.ValueKind == JsonValueKind.String) return [new ChatMessage(new ChatRole(stringRole), v.GetString())];
        if (v.ValueKind != JsonValueKind.Array) throw new RecordProblemException($"$.{key} is {RecordJson.Kind(v)}, expected a string or a list of messages.");
        var list = new List<ChatMessage>();
        var i = 0;
        foreach (var m in v.EnumerateArray())
        {
            var at = $"$.{key}[{i++}]";
            RecordJson.Object(m, at);
            var role = RecordJson.RequiredString(m, "role", at);
            if (!OpenAiRoles.IsKnown(role)) throw new RecordProblemException($"{at}.role is '{role}', not one of {string.Join(", ", OpenAiRoles.All)}.");
            list.Add(new ChatMessage(new ChatRole(role!), RecordJson.RequiredString(m, "content", at)));
        }
        return list;
    }
}
