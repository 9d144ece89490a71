using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Synthesis;

/// <summary>A reviewer's finding on one training example.</summary>
/// <param name="Line">The example's line in its file (1-based).</param>
/// <param name="Verdict">wrong, inconsistent, incomplete, or unreadable (the reviewer's answer could not be read).</param>
/// <param name="Reason">What is wrong.</param>
/// <param name="Fix">The proposed corrected answer, or null when none was proposed.</param>
/// <param name="Answer">The example's answer as it is.</param>
public sealed record ReviewFlag(long Line, string Verdict, string Reason, string? Fix, string Answer);

/// <summary>
/// The model half of <c>hone data review</c>: shows a reviewer model one SFT example (the conversation and the answer
/// the model is taught) and asks whether the answer is wrong, inconsistent with the conversation or incomplete, with the
/// reason and a corrected answer. The request is deterministic (temperature 0, a fixed seed), so a journalled review
/// replays it.
/// </summary>
public sealed class ExampleReviewer(IChatClient reviewer, string? model = null)
{
    /// <summary>The instruction the reviewer gets.</summary>
    public const string Instruction =
        "You review one training example for a model: a conversation whose last assistant message is the answer the model is taught. " +
        "Reply with one JSON object: {\"verdict\": \"ok\"} when the answer is right, consistent with the conversation and complete; else " +
        "{\"verdict\": \"wrong\" | \"inconsistent\" | \"incomplete\", \"reason\": \"what is wrong\", \"fix\": \"the corrected answer, in full\"}.";

    /// <summary>The verdicts that flag an example.</summary>
    public static readonly IReadOnlyList<string> Flags = ["wrong", "inconsistent", "incomplete"];

    /// <summary>Reviews the example on <paramref name="line"/>; null when the reviewer finds it right.</summary>
    /// <param name="line">Its line.</param>
    /// <param name="messages">Its messages (OpenAI chat JSON), the last being the assistant's answer.</param>
    /// <param name="ct">Cancels.</param>
    public async Task<ReviewFlag?> ReviewAsync(long line, JsonArray messages, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var answer = messages.Count > 0 && messages[^1] is JsonObject last ? (string?)last["content"] ?? "" : "";
        var shown = new JsonObject { ["messages"] = messages.DeepClone() }.ToJsonString();
        var response = await reviewer.GetResponseAsync([new ChatMessage(ChatRole.System, Instruction), new ChatMessage(ChatRole.User, shown)],
            new ChatOptions { ModelId = model, Temperature = 0, Seed = 1 }, ct).ConfigureAwait(false);
        var verdict = ModelVerdict.Read(response.Text);
        var v = verdict is null ? null : ModelVerdict.String(verdict, "verdict");
        if (v == "ok") return null;
        if (verdict is null || v is null || !Flags.Contains(v))
        {
            var text = response.Text.Length <= 120 ? response.Text : response.Text[..117] + "...";
            return new ReviewFlag(line, "unreadable", $"the reviewer's answer is not {{\"verdict\": \"ok\"|\"wrong\"|\"inconsistent\"|\"incomplete\", ...}}: {text}", null, answer);
        }
        var fix = ModelVerdict.String(verdict, "fix");
        return new ReviewFlag(line, v, ModelVerdict.String(verdict, "reason") is { Length: > 0 } r ? r : "(no reason given)",
            string.IsNullOrWhiteSpace(fix) || fix == answer ? null : fix, answer);
    }
}
