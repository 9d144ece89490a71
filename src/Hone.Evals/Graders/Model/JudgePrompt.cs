using System.Text.Json;
using Hone.Evals.Templating;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Graders.Model;

/// <summary>One message of a judge's prompt: a role (<c>system</c>, <c>developer</c>, <c>user</c>,
/// <c>assistant</c>) and a content template.</summary>
/// <param name="Role">The role as written.</param>
/// <param name="Content">The content template.</param>
public sealed record JudgeMessage(string Role, Template Content);

/// <summary>Builds and calls a judge model, then parses its reply strictly.</summary>
internal static class JudgePrompt
{
    /// <summary>The valid roles.</summary>
    public static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    /// <summary>
    /// Renders the messages; the output-format instruction is appended to the first system/developer message, or sent
    /// as a leading system message when there is none.
    /// </summary>
    public static List<ChatMessage> Render(IReadOnlyList<JudgeMessage> messages, string formatInstruction, GradeContext ctx)
    {
        var list = new List<ChatMessage>();
        bool placed = false;
        foreach (var m in messages)
        {
            var text = m.Content.Render(ctx);
            var role = m.Role switch
            {
                "system" or "developer" => ChatRole.System,
                "assistant" => ChatRole.Assistant,
                _ => ChatRole.User,
            };
            if (!placed && role == ChatRole.System)
            {
                text = text + "\n\n" + formatInstruction;
                placed = true;
            }
            list.Add(new ChatMessage(role, text));
        }
        if (!placed) list.Insert(0, new ChatMessage(ChatRole.System, formatInstruction));
        return list;
    }

    /// <summary>Options for a judge call: temperature 0, the model id, JSON-schema response format.</summary>
    public static ChatOptions Options(string model, JsonElement schema, int? seed, int? maxTokens) => new()
    {
        ModelId = model,
        Temperature = 0,
        Seed = seed,
        MaxOutputTokens = maxTokens,
        ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "grade"),
    };

    /// <summary>
    /// Parses the reply: after trimming it must be one JSON object (optionally inside a single ```json fence) with a
    /// <c>result</c> member. False with a message otherwise.
    /// </summary>
    public static bool TryParseReply(string? reply, out JsonElement result, out string? reason, out string? error)
    {
        result = default;
        reason = null;
        var text = (reply ?? "").Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            var firstNl = text.IndexOf('\n', StringComparison.Ordinal);
            if (firstNl > 0 && text.EndsWith("```", StringComparison.Ordinal) && text.Length >= firstNl + 4)
                text = text[(firstNl + 1)..^3].Trim();
        }
        if (!text.StartsWith('{') || !Json.JsonValidGrader.TryParse(text, out var obj, out var perr) || obj.ValueKind != JsonValueKind.Object)
        {
            error = $"judge reply is not a JSON object: \"{Short(reply ?? "")}\"";
            return false;
        }
        if (!obj.TryGetProperty("result", out result))
        {
            error = $"judge reply has no 'result' member: \"{Short(text)}\"";
            return false;
        }
        if (obj.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String) reason = r.GetString();
        else if (obj.TryGetProperty("steps", out var s)) reason = JsonSerializer.Serialize(s);
        error = null;
        return true;
    }

    private static string Short(string s) => s.Length <= 120 ? s : s[..117] + "...";
}
