using System.Globalization;
using System.Text;
using Hone.Data.Model;
using Hone.Data.Samples;
using Microsoft.Extensions.AI;

namespace Hone.Training.Demo;

/// <summary>
/// The pretraining text of the demo's base model, generated from the built-in task's domain. Three kinds of text, none
/// of which is the task (no extraction, no field names, never the task's prompt or answers):
/// plain documents of order sentences (the language); word-index documents, a sentence followed by one JSON record
/// per word (<c>{"word":"Maria","position":1}</c>: JSON punctuation, and words written without a leading space, the
/// way a JSON string holds them); and chats whose assistant turn copies or rewrites the user's sentence word for word
/// (repeat it, list its words one per line, write its numbers as digits, rewrite it for a single item) or writes
/// another one. A real base model knows JSON and how to copy from its prompt; these teach a small one the same skills.
/// Deterministic for a seed.
/// </summary>
public static class DemoCorpus
{
    /// <summary>The kinds of pretraining chat, by their system prompt (none of them is the task's prompt).</summary>
    public enum ChatKind
    {
        /// <summary>Repeat the sentence exactly.</summary>
        Repeat,

        /// <summary>The sentence's words, one per line, without punctuation.</summary>
        Words,

        /// <summary>The sentence with its quantity written in digits.</summary>
        Digits,

        /// <summary>The sentence rewritten for a single item (quantity one, the item in the singular).</summary>
        Single,

        /// <summary>Another sentence like the user's.</summary>
        Continue,

        /// <summary>Repeat a random list of the domain's words exactly (copying that no sentence pattern can guess).</summary>
        Echo,

        /// <summary>The sentence's words in their base form (numbers as digits, items in the singular), one per line.</summary>
        BaseForms,
    }

    /// <summary>System prompts of the pretraining conversations, by <see cref="ChatKind"/>.</summary>
    public static IReadOnlyList<string> ChatSystemPrompts { get; } =
    [
        "Repeat the user's sentence exactly.",
        "List the words of the user's sentence, one per line.",
        "Repeat the user's sentence with numbers written as digits.",
        "Rewrite the user's sentence for a single item.",
        "Write one more sentence like the user's.",
        "Repeat the user's words exactly.",
        "List the base form of each word of the user's sentence, one per line.",
    ];

    /// <summary>The order in which conversations cycle through the kinds (copying kinds dominate).</summary>
    public static IReadOnlyList<ChatKind> KindCycle { get; } =
    [
        ChatKind.Echo, ChatKind.Repeat, ChatKind.Words, ChatKind.BaseForms, ChatKind.Digits, ChatKind.Words,
        ChatKind.Echo, ChatKind.Single, ChatKind.BaseForms, ChatKind.Echo, ChatKind.Words, ChatKind.Continue,
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
    /// <paramref name="count"/> word-index documents: a domain sentence, then one line per word,
    /// <c>{"word":"…","position":N}</c>. Neutral JSON (no field of the task) that copies words out of a sentence.
    /// </summary>
    public static IReadOnlyList<string> IndexDocuments(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var docs = new List<string>(count);
        foreach (var sentence in OrderExtractionTask.DomainText(count, unchecked(seed * 104729 + 5)))
        {
            var sb = new StringBuilder(sentence).Append('\n');
            var words = Words(sentence);
            for (var k = 0; k < words.Count; k++)
                sb.Append("{\"word\":\"").Append(words[k]).Append("\",\"position\":").Append((k + 1).ToString(CultureInfo.InvariantCulture)).Append("}\n");
            docs.Add(sb.ToString().TrimEnd('\n'));
        }
        return docs;
    }

    /// <summary>
    /// <paramref name="count"/> conversations (system, user sentence, assistant reply) cycling through
    /// <see cref="KindCycle"/>; never the task's system prompt, never a JSON answer.
    /// </summary>
    public static IReadOnlyList<ChatExample> Conversations(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var sentences = OrderExtractionTask.DomainText(count * 2, unchecked(seed * 7919 + 17)).ToList();
        var rng = new Random(unchecked(seed * 31 + 7));
        var list = new List<ChatExample>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = KindCycle[i % KindCycle.Count];
            var user = kind == ChatKind.Echo
                ? string.Join(' ', Enumerable.Range(0, rng.Next(4, 11)).Select(_ => OrderExtractionTask.ValueWords[rng.Next(OrderExtractionTask.ValueWords.Count)]))
                : sentences[2 * i];
            var reply = kind switch
            {
                ChatKind.Words => string.Join("\n", Words(user)),
                ChatKind.BaseForms => string.Join("\n", Words(user).Select(BaseForm)),
                ChatKind.Digits => Rewrite(user, single: false),
                ChatKind.Single => Rewrite(user, single: true),
                ChatKind.Continue => sentences[2 * i + 1],
                _ => user,
            };
            list.Add(new ChatExample
            {
                Messages =
                [
                    new ChatMessage(ChatRole.System, ChatSystemPrompts[(int)kind]),
                    new ChatMessage(ChatRole.User, user),
                    new ChatMessage(ChatRole.Assistant, reply),
                ],
            });
        }
        return list;
    }

    /// <summary>The words of a sentence without punctuation.</summary>
    public static IReadOnlyList<string> Words(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return [.. sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('.', ',', ':', '?', '!')).Where(w => w.Length > 0)];
    }

    /// <summary>
    /// The sentence with its quantity in digits, or (<paramref name="single"/>) with the quantity "one" and the item in
    /// the singular. A sentence without a quantity comes back unchanged.
    /// </summary>
    public static string Rewrite(string sentence, bool single)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var words = sentence.Split(' ');
        for (var k = 0; k < words.Length; k++)
        {
            var value = Quantity(words[k]);
            if (value is null) continue;
            if (!single)
            {
                words[k] = value.Value.ToString(CultureInfo.InvariantCulture);
                return string.Join(' ', words);
            }
            words[k] = char.IsDigit(words[k][0]) ? "1" : "one";
            for (var j = k + 1; j < words.Length; j++)
            {
                var bare = words[j].TrimEnd('.', ',', ':', '?', '!');
                var item = OrderExtractionTask.ItemNames.FirstOrDefault(x => OrderExtractionTask.Plural(x) == bare || x == bare);
                if (item is null) continue;
                words[j] = item + words[j][bare.Length..];
                break;
            }
            return string.Join(' ', words);
        }
        return sentence;
    }

    /// <summary>A word's base form: a quantity in digits, an item in the singular, any other word unchanged.</summary>
    public static string BaseForm(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (Quantity(word) is { } q) return q.ToString(CultureInfo.InvariantCulture);
        return OrderExtractionTask.ItemNames.FirstOrDefault(x => OrderExtractionTask.Plural(x) == word) ?? word;
    }

    private static int? Quantity(string word)
    {
        if (word.Length == 1 && word[0] is >= '1' and <= '9') return word[0] - '0';
        for (var q = 1; q < OrderExtractionTask.QuantityWords.Count; q++)
            if (word == OrderExtractionTask.QuantityWords[q]) return q;
        return null;
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
                yield return m.ContentText();
        for (var i = 0; i < 16; i++) yield return OrderExtractionTask.SystemPrompt;
        yield return "user assistant system\n";
    }
}
