using System.Text;
using Hone.Evals.Runs;
using Hone.Prompting.Files;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Guards;

/// <summary>A failing case as the meta-model sees it.</summary>
/// <param name="Input">What was sent (role: content lines).</param>
/// <param name="Output">What the model answered.</param>
/// <param name="Expected">The reference answer, if known.</param>
/// <param name="Why">The graders' verdicts in words.</param>
public sealed record FailureExample(string Input, string Output, string? Expected, string Why)
{
    /// <summary>The failure of a graded sample.</summary>
    public static FailureExample Of(CaseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var why = string.Join("; ", r.Grades.Where(g => !g.Pass).Select(g => $"{g.Grader} failed" + (g.Detail is { } d ? $": {d}" : "")));
        if (r.FailedStep is { } s) why = $"step {s} went wrong; " + why;
        return new FailureExample(Hone.Evals.Compare.RunComparison.InputText(r) ?? "", r.Output, r.Reference, why);
    }
}

/// <summary>The requests sent to the meta-model: rewrite a prompt from its failures, or write a system prompt from conversations.</summary>
public static class MetaPrompts
{
    private const string Format = """
        Reply in exactly this format:
        <explanation>what the failures have in common and what you changed</explanation>
        <prompt>
        <system>the new system prompt</system>
        <user>the new user template</user>
        </prompt>
        Keep every {{ variable }} of the templates: they are filled from each case. Leave out <user> to keep the user template as it is.
        State general rules; never name specific cases or copy their answers into the prompt.
        """;

    /// <summary>Options of a meta-model call: creative enough to differ between proposals, seeded so a rerun asks the same.</summary>
    public static ChatOptions Options(int seed, double temperature = 0.7) => new() { Temperature = (float)temperature, Seed = seed, MaxOutputTokens = 2_048 };

    /// <summary>Asks for a rewrite of <paramref name="prompt"/> that fixes <paramref name="failures"/>.</summary>
    public static IReadOnlyList<ChatMessage> Rewrite(PromptFile prompt, IReadOnlyList<FailureExample> failures, string? previousNote = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(failures);
        var sb = new StringBuilder("The current prompt:\n<system>\n").Append(prompt.System?.Source ?? "").Append("\n</system>\n<user>\n")
            .Append(prompt.User?.Source ?? "(the case's own messages)").Append("\n</user>\n\n")
            .Append(failures.Count).AppendLine(" cases where the model answered wrongly with it:");
        int i = 0;
        foreach (var f in failures)
        {
            sb.Append("\n## Case ").Append(++i).Append("\nInput:\n").AppendLine(f.Input).Append("Model's answer:\n").AppendLine(f.Output);
            if (f.Expected is not null) sb.Append("Expected answer:\n").AppendLine(f.Expected);
            if (f.Why.Length > 0) sb.Append("Grading: ").AppendLine(f.Why);
        }
        if (previousNote is not null) sb.AppendLine().AppendLine(previousNote);
        return [new ChatMessage(ChatRole.System, "You are an expert prompt engineer. You find why a prompt fails and rewrite it so the model gets such cases right.\n" + Format),
            new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>Asks for a system prompt that makes an assistant answer as the <paramref name="conversations"/> do.</summary>
    public static IReadOnlyList<ChatMessage> Induce(PromptFile? start, IReadOnlyList<IReadOnlyList<(string Role, string Content)>> conversations)
    {
        ArgumentNullException.ThrowIfNull(conversations);
        var sb = new StringBuilder();
        if (start?.System is { } s) sb.Append("The current system prompt:\n<system>\n").Append(s.Source).Append("\n</system>\n\n");
        sb.Append(conversations.Count).AppendLine(" conversations showing exactly how the assistant should answer:");
        int i = 0;
        foreach (var c in conversations)
        {
            sb.Append("\n## Conversation ").Append(++i).AppendLine();
            foreach (var (role, content) in c) sb.Append('[').Append(role).Append("] ").AppendLine(content);
        }
        sb.AppendLine().Append("Write the system prompt that makes an assistant answer every such request the way these conversations do: the task, the rules, the format.");
        return [new ChatMessage(ChatRole.System, "You are an expert prompt engineer. You write system prompts from examples of ideal behaviour.\n" + Format.Replace(
                "Leave out <user> to keep the user template as it is.", "Give only <system>; the user message stays as it is.", StringComparison.Ordinal)),
            new ChatMessage(ChatRole.User, sb.ToString())];
    }

    /// <summary>Calls the meta-model and parses its proposal.</summary>
    public static async Task<Proposal> ProposeAsync(IChatClient meta, IReadOnlyList<ChatMessage> request, ChatOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var reply = await meta.GetResponseAsync(request, options, ct).ConfigureAwait(false);
        return Proposal.Parse(reply.Text, reply.FinishReason?.Value);
    }
}
