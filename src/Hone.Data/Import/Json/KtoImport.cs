using System.Text.Json;
using Hone.Data.Model;

namespace Hone.Data.Import.Json;

/// <summary>
/// KTO JSON/JSONL (LLaMA-Factory's <c>kto_en_demo.json</c>: <c>{"messages": [{role, content}...], "label": true|false}</c>)
/// → chat SFT. Rows labelled desirable (true) become examples; undesirable rows are skipped by design (counted, not
/// problems), since SFT learns only from good answers.
/// </summary>
public sealed record KtoImportOptions : ImportOptions
{
    /// <summary>The label key; default <c>label</c> (<c>kto_tag</c> is tried when it is absent).</summary>
    public string LabelKey { get; init; } = "label";

    /// <summary>ShareGPT-style keys, used when a record has <c>conversations</c> instead of <c>messages</c>.</summary>
    public ShareGptTags Tags { get; init; } = new();

    /// <inheritdoc />
    public override DataKind Produces => DataKind.Sft;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Tags.Validate();
        if (string.IsNullOrWhiteSpace(LabelKey)) throw new ArgumentException("KTO import: the label key is empty; name the true/false field.", nameof(LabelKey));
    }
}

/// <summary>Reads KTO records; desirable ones become chat SFT examples.</summary>
public static class KtoImporter
{
    /// <summary>The examples, lazily; malformed records go to <paramref name="context"/>.</summary>
    public static IEnumerable<ChatExample> Read(KtoImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var openAiTags = options.Tags with { MessagesKey = "messages", RoleKey = "role", ContentKey = "content" };
        return RecordJson.Convert(options.InputPath, context, r =>
        {
            var rec = RecordJson.Object(r.Value, "$");
            if (!rec.TryGetProperty(options.LabelKey, out var label) && !rec.TryGetProperty("kto_tag", out label))
                throw new RecordProblemException($"$.{options.LabelKey} is missing; a KTO record needs a true/false label.");
            var good = label.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when bool.TryParse(label.GetString(), out var b) => b,
                _ => throw new RecordProblemException($"$.{options.LabelKey} is {RecordJson.Kind(label)}, expected true or false."),
            };
            if (!good) return null;
            var tags = rec.TryGetProperty("messages", out _) ? openAiTags : options.Tags;
            return ShareGptImporter.Convert(r, tags);
        });
    }
}
