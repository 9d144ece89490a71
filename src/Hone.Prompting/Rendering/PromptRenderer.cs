using System.Text.Json.Nodes;
using Hone.Prompting.Files;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Rendering;

/// <summary>The messages and options one prompt sends for one case.</summary>
/// <param name="Messages">System, few-shot turns, then the user message (or the case's own messages).</param>
/// <param name="Options">Sampling, response format and tools.</param>
public sealed record RenderedPrompt(IReadOnlyList<ChatMessage> Messages, ChatOptions Options);

/// <summary>Renders a (single) prompt for one case.</summary>
public static class PromptRenderer
{
    /// <summary>
    /// The request of <paramref name="prompt"/> for a case: the rendered system message, the few-shot examples, then the
    /// rendered user message; without a user template the case's own messages are sent (their system message replaced
    /// by the prompt's when it has one).
    /// </summary>
    /// <exception cref="PromptFileException">A template prints a missing field, or there is nothing to send.</exception>
    public static RenderedPrompt Render(PromptFile prompt, IReadOnlyDictionary<string, JsonNode?> variables, IReadOnlyList<ChatMessage>? caseMessages,
        string caseLabel, IList<AITool>? tools = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.IsChain) throw new ArgumentException("a chain is run step by step (ChainRunner); render one of its steps.", nameof(prompt));
        var list = new List<ChatMessage>();
        var own = prompt.User is null && caseMessages is { Count: > 0 } ? caseMessages : [];
        bool caseSystem = own.Count > 0 && own[0].Role == ChatRole.System;
        if (prompt.System is { } s) list.Add(new ChatMessage(ChatRole.System, s.Render(variables, caseLabel)));
        else if (caseSystem) list.Add(own[0]);
        foreach (var ex in prompt.FewShot)
            foreach (var (role, content) in ex.Messages) list.Add(new ChatMessage(new ChatRole(role), content));
        if (prompt.User is { } u) list.Add(new ChatMessage(ChatRole.User, u.Render(variables, caseLabel)));
        else if (own.Count > 0) list.AddRange(caseSystem ? own.Skip(1) : own);
        else throw new PromptFileException(prompt.SourcePath, prompt.LineOf("system"),
            $"the prompt has no 'user' template and {caseLabel} has no 'messages'; add a user template such as 'user: \"{{{{ question }}}}\"'.");
        return new RenderedPrompt(list, Options(prompt, tools));
    }

    /// <summary>The chat options of <paramref name="prompt"/>: sampling (temperature 0 unless set), response format, tools.</summary>
    public static ChatOptions Options(PromptFile prompt, IList<AITool>? tools = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var s = prompt.Sampling;
        return new ChatOptions
        {
            Temperature = (float)(s.Temperature ?? 0),
            TopP = s.TopP is { } p ? (float)p : null,
            MaxOutputTokens = s.MaxTokens,
            Seed = s.Seed,
            StopSequences = s.Stop.Count > 0 ? [.. s.Stop] : null,
            ResponseFormat = prompt.ResponseFormat is { } f ? ChatResponseFormat.ForJsonSchema(f.Schema, f.Name) : null,
            Tools = tools is { Count: > 0 } ? tools : prompt.Tools.Count > 0 ? [.. prompt.Tools.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Parameters))] : null,
        };
    }
}
