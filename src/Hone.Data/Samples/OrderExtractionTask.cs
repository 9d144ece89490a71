using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Samples;

/// <summary>
/// The built-in sample task of <c>hone demo</c>: extract the fields of a shop order written as one English sentence
/// into a JSON object with fixed keys. The task is generated (seeded), so the demo needs no download: training
/// examples, a golden test set with reference fields, and plain domain text (sentences without answers) for
/// pretraining a small base model that writes fluent order sentences but does not know the extraction task.
/// </summary>
public static class OrderExtractionTask
{
    /// <summary>The system prompt every example carries (the "best prompt" the fine-tune bakes in).</summary>
    public const string SystemPrompt =
        "Extract the order from the user's sentence. Reply with JSON only: " +
        "{\"name\": string, \"quantity\": integer, \"color\": string, \"item\": string, \"city\": string}.";

    /// <summary>The keys of the answer, in the order they are written.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["name", "quantity", "color", "item", "city"];

    private static readonly string[] Names =
        ["Maria", "Tom", "Aiko", "Lars", "Nina", "Omar", "Priya", "Jon", "Elena", "Kofi", "Sara", "Ben", "Yuki", "Ana", "Leo", "Mia"];
    private static readonly string[] Colors = ["red", "blue", "green", "black", "white", "yellow", "grey", "pink"];
    private static readonly string[] Items = ["mug", "lamp", "chair", "shirt", "book", "pen", "bag", "clock", "plate", "scarf"];
    private static readonly string[] Cities =
        ["Lisbon", "Oslo", "Paris", "Kyoto", "Lima", "Cairo", "Dublin", "Quito", "Seoul", "Rome", "Accra", "Porto"];
    private static readonly string[] NumberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    /// <summary>The quantities written as words, indexed by value (0 to 10).</summary>
    public static IReadOnlyList<string> QuantityWords => NumberWords;

    /// <summary>
    /// The words the task's values are drawn from (names, colors, items in both numbers, cities, quantities in words
    /// and digits), in a fixed order.
    /// </summary>
    public static IReadOnlyList<string> ValueWords { get; } =
    [
        .. Names, .. Colors, .. Items, .. Items.Select(Plural), .. Cities, .. NumberWords.Skip(1).Take(9),
        .. Enumerable.Range(1, 9).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>The items in the singular (the form the answer uses).</summary>
    public static IReadOnlyList<string> ItemNames => Items;

    // Sentence shapes: {n}=name {q}=quantity {c}=color {i}=item(s) {t}=city.
    private static readonly string[] Shapes =
    [
        "{n} ordered {q} {c} {i} for delivery to {t}.",
        "Please send {q} {c} {i} to {t}, the order is for {n}.",
        "{n} from {t} wants {q} {c} {i}.",
        "Ship {q} {c} {i} to {n} in {t}.",
        "An order of {q} {c} {i} came in from {n}, who lives in {t}.",
        "{n} needs {q} {c} {i} delivered in {t} next week.",
        "To {t}: {q} {c} {i}, ordered by {n}.",
        "Could you deliver {q} {c} {i} to {t}? It is for {n}.",
    ];

    /// <summary>One generated case: the sentence and its reference fields.</summary>
    public sealed record Case(string Sentence, string Name, int Quantity, string Color, string Item, string City)
    {
        /// <summary>The reference answer as compact JSON with the fields in <see cref="Fields"/> order.</summary>
        public string AnswerJson => JsonSerializer.Serialize(new { name = Name, quantity = Quantity, color = Color, item = Item, city = City });
    }

    /// <summary>Generates <paramref name="count"/> distinct cases, deterministically for a seed.</summary>
    public static IReadOnlyList<Case> Generate(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rng = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cases = new List<Case>(count);
        var guard = 0;
        while (cases.Count < count)
        {
            if (++guard > count * 100) throw new InvalidOperationException($"Cannot generate {count} distinct cases.");
            var c = Make(rng);
            if (seen.Add(c.Sentence)) cases.Add(c);
        }
        return cases;
    }

    /// <summary>A chat SFT example for a case: system prompt, the sentence, the JSON answer.</summary>
    public static ChatExample ToChatExample(Case c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new ChatExample
        {
            Messages =
            [
                new ChatMessage(ChatRole.System, SystemPrompt),
                new ChatMessage(ChatRole.User, c.Sentence),
                new ChatMessage(ChatRole.Assistant, c.AnswerJson),
            ],
        };
    }

    /// <summary>
    /// Plain domain text for pretraining a base model: order sentences and free-form sentences about the same
    /// names, items and cities, but never the JSON answers, so the base model learns the language, not the task.
    /// </summary>
    public static IEnumerable<string> DomainText(int sentences, int seed)
    {
        var rng = new Random(seed);
        string[] extra =
        [
            "{n} likes the {c} {i} from the shop in {t}.",
            "The shop in {t} sells {c} {i} and many other things.",
            "{n} walked to the market in {t} and looked at {q} {c} {i}.",
            "In {t}, {n} found {q} old {i} in a box.",
        ];
        for (var k = 0; k < sentences; k++)
        {
            var shape = rng.Next(3) == 0 ? extra[rng.Next(extra.Length)] : Shapes[rng.Next(Shapes.Length)];
            yield return Fill(shape, rng, out _);
        }
    }

    private static Case Make(Random rng)
    {
        var shape = Shapes[rng.Next(Shapes.Length)];
        var sentence = Fill(shape, rng, out var f);
        return new Case(sentence, f.Name, f.Quantity, f.Color, f.Item, f.City);
    }

    private readonly record struct Filled(string Name, int Quantity, string Color, string Item, string City);

    private static string Fill(string shape, Random rng, out Filled f)
    {
        var q = rng.Next(1, 10);
        f = new Filled(Names[rng.Next(Names.Length)], q, Colors[rng.Next(Colors.Length)], Items[rng.Next(Items.Length)], Cities[rng.Next(Cities.Length)]);
        var quantity = rng.Next(2) == 0 ? q.ToString(System.Globalization.CultureInfo.InvariantCulture) : NumberWords[q];
        var itemText = q == 1 ? f.Item : Plural(f.Item);
        return shape.Replace("{n}", f.Name, StringComparison.Ordinal).Replace("{q}", quantity, StringComparison.Ordinal)
            .Replace("{c}", f.Color, StringComparison.Ordinal).Replace("{i}", itemText, StringComparison.Ordinal)
            .Replace("{t}", f.City, StringComparison.Ordinal);
    }

    /// <summary>The plural of an item as the sentences write it ("mug" → "mugs", "scarf" → "scarves").</summary>
    public static string Plural(string item) => item switch
    {
        "scarf" => "scarves",
        "glass" => "glasses",
        _ => item + "s",
    };
}
