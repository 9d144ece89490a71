using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Microsoft.Extensions.AI;

namespace Hone.Training.Rft;

/// <summary>
/// Reads OpenAI reinforcement fine-tuning JSONL: each line has <c>messages</c> ending with a user turn (optionally
/// <c>tools</c>) and any extra fields the grader reads (e.g. <c>reference_answer</c>). The messages are rendered with the
/// chat template and the assistant generation prompt; the whole line is the grader's <c>item</c>. Bad lines become
/// findings with their line; nothing is silently dropped.
/// </summary>
public static class RftPromptData
{
    /// <summary>Most lines read from one file (a hostile-input cap).</summary>
    public const int MaxPrompts = 1_000_000;

    /// <summary>Reads and renders the prompts of <paramref name="path"/>; bad lines are returned as findings.</summary>
    public static (List<RftPrompt> Prompts, List<DataFinding> Findings) Read(string path, ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (!File.Exists(path)) throw new TrainingException(ErrorKind.NotFound, $"Prompt file '{path}' not found.");
        var prompts = new List<RftPrompt>();
        var findings = new List<DataFinding>();
        long lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (prompts.Count >= MaxPrompts) throw new TrainingException($"{path}: more than {MaxPrompts} prompts; split the file.");
            var where = $"{path}:{lineNo}";
            ReinforcementExample example;
            JsonElement item;
            try
            {
                example = OpenAiJson.ParseReinforcement(line, path, lineNo);
                using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 64 });
                item = doc.RootElement.Clone();
            }
            catch (Exception e) when (e is DataFormatException or JsonException)
            {
                findings.Add(new(where, StripWhere(e.Message)));
                continue;
            }
            if (example.Messages.Count == 0) { findings.Add(new(where, "'messages' is empty; give the conversation ending with a user turn.")); continue; }
            if (example.Messages[^1].Role != ChatRole.User)
            {
                findings.Add(new(where, $"the last message is a '{example.Messages[^1].Role}' turn; a reinforcement prompt ends with a user turn (the model writes the reply)."));
                continue;
            }
            try
            {
                var nodes = example.Messages.Select(m => (JsonNode)JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!.AsObject()).ToList();
                var tools = example.Tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(example.Tools, OpenAiJson.Options) : null;
                var ids = encoder.Encode(nodes, tools, addGenerationPrompt: true).Ids;
                if (ids.Length == 0) { findings.Add(new(where, "the prompt renders to no tokens.")); continue; }
                prompts.Add(new RftPrompt(ids, item, where));
            }
            catch (Exception e) when (e is ChatTemplateException or FormatException or OpenAiChatException or InvalidOperationException or JsonException or ArgumentException)
            {
                findings.Add(new(where, $"cannot render the messages with the chat template ({e.Message})."));
            }
        }
        if (prompts.Count == 0 && findings.Count == 0) findings.Add(new(path, "holds no prompts."));
        return (prompts, findings);
    }

    /// <summary>Reads the prompts and throws one <see cref="TrainingException"/> listing every finding when there are any.</summary>
    public static List<RftPrompt> ReadOrThrow(string path, ChatEncoder encoder)
    {
        var (prompts, findings) = Read(path, encoder);
        if (findings.Count > 0)
            throw new TrainingException($"{findings.Count} bad line(s) in the prompt file (run 'hone data check' on it):\n  " +
                string.Join("\n  ", findings.Take(20)) + (findings.Count > 20 ? $"\n  … and {findings.Count - 20} more" : ""));
        return prompts;
    }

    /// <summary>
    /// Applies the <c>--on-overflow</c> policy to prompts that, with <paramref name="maxTokens"/> sampled tokens, do not fit
    /// in <paramref name="context"/>. Truncation keeps BOS and the system prompt and the last user turn whole, and cuts
    /// from the start of the earliest other turns; else the prompt is dropped with the reason.
    /// </summary>
    public static (List<RftPrompt> Prompts, OverflowReport Report) Fit(IReadOnlyList<RftPrompt> prompts, ChatEncoder encoder, string set,
        int context, int maxTokens, OverflowPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        // A row holds the prompt, the sampled tokens and one more (RftTrainer.RowLength).
        int room = context - maxTokens - 1;
        return ContextOverflow.Apply(prompts, set, "prompts", context, policy, p => p.PromptIds.Length + maxTokens + 1, p => p.Where,
            p => Truncate(p, encoder, room));
    }

    private static (RftPrompt? Fitted, string Detail) Truncate(RftPrompt p, ChatEncoder encoder, int room)
    {
        var example = OpenAiJson.ParseReinforcement(p.Item.GetRawText(), p.Where);
        int keep = ContextOverflow.SystemPrefix(encoder, example.Messages, example.Tools, p.PromptIds);
        int protect = Math.Max(keep, ContextOverflow.LastMessageStart(encoder, example.Messages, example.Tools, p.PromptIds));
        int last = p.PromptIds.Length - protect;
        var cut = ContextOverflow.Cut(new TokenizedExample(p.PromptIds, new bool[p.PromptIds.Length]), room, keep, protect);
        if (cut is null)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"the first {keep} tokens (BOS and system prompt) and the last user turn ({last} tokens) alone need {keep + last} of the {room} tokens left beside --max-tokens"));
        }

        return (p with { PromptIds = cut.Ids }, ContextOverflow.CutDetail(keep, p.PromptIds.Length - room, $"the last user turn ({last} tokens)"));
    }

    private static string StripWhere(string message)
    {
        // DataFormatException messages start with "file:line: "; the finding carries the place already.
        int i = message.IndexOf(": ", StringComparison.Ordinal);
        return i > 0 && message[..i].Contains(':', StringComparison.Ordinal) ? message[(i + 2)..] : message;
    }
}
