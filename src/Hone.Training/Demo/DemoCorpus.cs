using Hone.Data.Model;
using Hone.Data.Samples;

namespace Hone.Training.Demo;

/// <summary>
/// The pretraining text of the demo's base model, generated from the built-in task's domain: plain documents of order
/// sentences, and chat conversations about the same sentences whose assistant turns do something other than the task
/// (repeat the sentence, or write another one), so the base model knows the language and the chat format but has never
/// seen an extraction or any JSON. Deterministic for a seed.
/// </summary>
public static class DemoCorpus
{
    /// <summary>System prompts of the pretraining conversations (none of them is the task's prompt).</summary>
    public static IReadOnlyList<string> ChatSystemPrompts { get; } =
    [
        "Repeat the user's sentence exactly.",
        "Write one more sentence like the user's.",
    ];

    /// <summary>Sentences per plain document.</summary>
    public const int SentencesPerDocument = 6;

    /// <summary><paramref name="count"/> plain documents of <see cref="SentencesPerDocument"/> domain sentences each.</summary>
    public static IReadOnlyList<string> Documents(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var sentences = OrderExtractionTask.DomainText(count * SentencesPerDocument, seed).ToList();
        var docs = new List<string>(count);
        for (var i = 0; i < count; i++)
            docs.Add(string.Join(" ", sentences.GetRange(i * SentencesPerDocument, SentencesPerDocument)));
        return docs;
    }

    /// <summary>
    /// <paramref name="count"/> conversations (system, user sentence, assistant reply), alternating between repeating
    /// the sentence and writing another one; never the task's system prompt, never a JSON answer.
    /// </summary>
    public static IReadOnlyList<ChatExample> Conversations(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var sentences = OrderExtractionTask.DomainText(count * 2, unchecked(seed * 7919 + 17)).ToList();
        var list = new List<ChatExample>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = i % ChatSystemPrompts.Count;
            var user = sentences[2 * i];
            var reply = kind == 0 ? user : sentences[2 * i + 1];
            list.Add(new ChatExample
            {
                Messages =
                [
                    new ChatMessage(ChatRole.System, ChatSystemPrompts[kind]),
                    new ChatMessage(ChatRole.User, user),
                    new ChatMessage(ChatRole.Assistant, reply),
                ],
            });
        }
        return list;
    }

    /// <summary>
    /// The texts the demo tokenizer is learned from: the documents, the conversations' messages, and the task's
    /// system prompt (a deployed prompt is text the tokenizer should cover; the model is never trained on it).
    /// </summary>
    public static IEnumerable<string> TokenizerTexts(IReadOnlyList<string> documents, IReadOnlyList<ChatExample> conversations)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(conversations);
        foreach (var d in documents) yield return d;
        foreach (var c in conversations)
            foreach (var m in c.Messages)
                yield return m.Content?.AllText() ?? "";
        for (var i = 0; i < 16; i++) yield return OrderExtractionTask.SystemPrompt;
        yield return "user assistant system\n";
    }
}
