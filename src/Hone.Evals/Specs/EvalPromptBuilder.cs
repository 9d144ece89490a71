using System.Text.Json;
using Hone.Data.Model;
using Hone.Evals.Graders;
using Hone.Evals.Templating;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Specs;

/// <summary>Builds the messages sent for one case.</summary>
public static class EvalPromptBuilder
{
    /// <summary>
    /// The messages for <paramref name="c"/>: a case with <c>messages</c> sends them (with the spec's system prompt in
    /// front when they have none); otherwise the spec's template renders the user message from the case's fields,
    /// after the system prompt.
    /// </summary>
    /// <exception cref="EvalSpecException">The case has no messages and the spec no template, or a template field is missing.</exception>
    public static IReadOnlyList<ChatMessage> Build(EvalPrompt prompt, GoldenCase c, string goldenSetPath)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(c);
        var list = new List<ChatMessage>();
        if (c.Messages is not null)
        {
            if (prompt.System is not null && c.Messages[0].Role != ChatRole.System) list.Add(new ChatMessage(ChatRole.System, prompt.System));
            list.AddRange(c.Messages);
            return list;
        }
        if (prompt.UserTemplate is null)
            throw new EvalSpecException($"{goldenSetPath}:{c.Line}: case '{c.Id}' has no 'messages' and the spec has no prompt template; add 'prompt: {{template: ...}}' to the spec or messages to the case.");
        if (prompt.System is not null) list.Add(new ChatMessage(ChatRole.System, prompt.System));
        string user;
        try { user = prompt.UserTemplate.Render(new GradeContext(c.Item, new GradeSample(""))); }
        catch (TemplateException e) { throw new EvalSpecException($"{goldenSetPath}:{c.Line}: case '{c.Id}': prompt template: {e.Message}", e); }
        list.Add(new ChatMessage(ChatRole.User, user));
        return list;
    }

    /// <summary>The case's input messages as OpenAI chat JSON (for exports and reports; <see cref="OpenAiChatWriter"/>).</summary>
    public static JsonElement ToJson(IReadOnlyList<ChatMessage> messages) => JsonSerializer.SerializeToElement(OpenAiChatWriter.ToJson(messages));
}
