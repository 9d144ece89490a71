using System.Text;
using System.Text.Json;
using Hone.Core;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Export;

/// <summary>A record that cannot be converted; the exporter reports it with its line and skips it.</summary>
public sealed class ConversionException(string message) : HoneException(ErrorKind.Unsupported, message);

/// <summary>Conversions between the example kinds, one record at a time.</summary>
public static class ExampleConversions
{
    /// <summary>Throws <see cref="ArgumentException"/> explaining why <paramref name="from"/> cannot become <paramref name="to"/>.</summary>
    public static void EnsureSupported(DataKind from, DataKind to)
    {
        if (from == to) return;
        var reason = (from, to) switch
        {
            (DataKind.Sft, DataKind.PromptCompletion) or (DataKind.Sft, DataKind.Rft) => null,
            (DataKind.Dpo, DataKind.Sft) or (DataKind.Dpo, DataKind.PromptCompletion) => null,
            (DataKind.PromptCompletion, DataKind.Sft) => null,
            (_, DataKind.Dpo) => "a preference pair needs a rejected answer, which this kind lacks; build pairs from edited or graded outputs instead",
            (DataKind.Rft, _) => "reinforcement items have no assistant answer to train on; generate answers and grade them first",
            (DataKind.PromptCompletion, DataKind.Rft) => "convert to chat (sft) first and check that each prompt is a single user turn",
            (DataKind.Dpo, DataKind.Rft) => "export the pairs as chat (sft) first, then as reinforcement",
            _ => "no conversion is defined",
        };
        if (reason is not null) throw new ArgumentException($"Export: cannot convert {Name(from)} to {Name(to)}: {reason}.");
    }

    /// <summary>The CLI name of a kind: sft, dpo, rft, prompt-completion.</summary>
    public static string Name(DataKind kind) => kind switch
    {
        DataKind.Sft => "sft",
        DataKind.Dpo => "dpo",
        DataKind.Rft => "rft",
        DataKind.PromptCompletion => "prompt-completion",
        _ => kind.ToString(),
    };

    /// <summary>Parses a CLI kind name: sft (or chat), dpo (or preference), rft (or reinforcement), prompt-completion.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static DataKind ParseKind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "sft" or "chat" => DataKind.Sft,
            "dpo" or "preference" => DataKind.Dpo,
            "rft" or "reinforcement" => DataKind.Rft,
            "prompt-completion" or "prompt_completion" or "completion" => DataKind.PromptCompletion,
            _ => throw new ArgumentException($"Unknown data kind '{name}'; use sft, dpo, rft or prompt-completion."),
        };
    }

    /// <summary>Preference → chat SFT: the input conversation followed by the preferred output.</summary>
    public static ChatExample ToChat(PreferenceExample pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.PreferredOutput.Count == 0) throw new ConversionException("preferred_output is empty; there is no answer to train on.");
        return new ChatExample
        {
            Messages = [.. pair.Input.Messages, .. pair.PreferredOutput],
            Tools = pair.Input.Tools,
            ParallelToolCalls = pair.Input.ParallelToolCalls,
        };
    }

    /// <summary>Prompt/completion → chat SFT: one user turn and one assistant turn.</summary>
    public static ChatExample ToChat(PromptCompletionExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new ChatExample { Messages = [new ChatMessage(ChatRole.User, example.Prompt), new ChatMessage(ChatRole.Assistant, example.Completion)] };
    }

    /// <summary>
    /// Chat → prompt/completion: the completion is the last assistant turn; the prompt is the turns before it: a lone
    /// user turn as is, otherwise a transcript of <c>Role: text</c> blocks separated by blank lines and ending with
    /// <c>Assistant:</c>. Tool calls cannot be written as plain text and are refused.
    /// </summary>
    public static PromptCompletionExample ToPromptCompletion(ChatExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Messages.Any(m => m.Contents.Any(c => c is FunctionCallContent) || m.Role.Value is OpenAiRoles.Tool or OpenAiRoles.Function))
            throw new ConversionException("the conversation uses tool calls, which prompt/completion cannot express; keep it as chat (sft).");
        var last = example.Messages.FindLastIndex(m => m.Role == ChatRole.Assistant);
        if (last < 0) throw new ConversionException("the conversation has no assistant turn to become the completion.");
        var before = example.Messages.Take(last).ToList();
        if (before.Count == 0) throw new ConversionException("the conversation has nothing before its assistant turn to become the prompt.");
        string prompt;
        if (before.Count == 1 && before[0].Role == ChatRole.User) prompt = before[0].ContentText();
        else
        {
            var sb = new StringBuilder();
            foreach (var m in before) sb.Append(Title(m.Role.Value)).Append(": ").Append(m.ContentText()).Append("\n\n");
            sb.Append("Assistant:");
            prompt = sb.ToString();
        }
        return new PromptCompletionExample { Prompt = prompt, Completion = example.Messages[last].ContentText() };
    }

    /// <summary>Chat → reinforcement: the turns before the last assistant turn (ending with a user turn), with the
    /// assistant's answer kept as <c>reference_answer</c> for graders.</summary>
    public static ReinforcementExample ToReinforcement(ChatExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var last = example.Messages.FindLastIndex(m => m.Role == ChatRole.Assistant);
        if (last < 1 || example.Messages[last - 1].Role != ChatRole.User)
            throw new ConversionException("the last assistant turn must follow a user turn: reinforcement items end with the user's question.");
        if (example.Messages[last].Contents.Any(c => c is FunctionCallContent f && !OpenAiChatWriter.IsLegacy(f)))
            throw new ConversionException("the last assistant turn is a tool call, which is not a reference answer; keep it as chat (sft).");
        var answer = example.Messages[last].ContentText();
        return new ReinforcementExample
        {
            Messages = example.Messages.Take(last).ToList(),
            Tools = example.Tools,
            ParallelToolCalls = example.ParallelToolCalls,
            Extra = new Dictionary<string, JsonElement> { ["reference_answer"] = JsonSerializer.SerializeToElement(answer) },
        };
    }

    private static string Title(string role) => role.Length == 0 ? role : char.ToUpperInvariant(role[0]) + role[1..];
}
