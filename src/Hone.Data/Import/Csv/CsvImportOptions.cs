using Hone.Data.Model;

namespace Hone.Data.Import.Csv;

/// <summary>
/// CSV/TSV → chat SFT: each data row becomes <c>[system?, user, assistant]</c>. The user message is
/// <see cref="UserTemplate"/> with <c>{{column}}</c> placeholders filled from the row; the assistant message is the
/// value of <see cref="AssistantColumn"/>; the optional system message is <see cref="SystemPrompt"/> (also a template).
/// </summary>
public sealed record CsvImportOptions : ImportOptions
{
    /// <summary>Field delimiter; null picks '\t' for .tsv/.tab files and ',' otherwise.</summary>
    public char? Delimiter { get; init; }

    /// <summary>Optional system prompt; may use <c>{{column}}</c> placeholders too.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The user message template, e.g. <c>"Title: {{title}}\n{{description}}"</c>.</summary>
    public required string UserTemplate { get; init; }

    /// <summary>The column whose value is the assistant's answer.</summary>
    public required string AssistantColumn { get; init; }

    /// <summary>Reader limits (field length, column count); the delimiter there is overridden by <see cref="EffectiveDelimiter"/>.</summary>
    public CsvReaderOptions Reader { get; init; } = new();

    /// <summary>Rows whose assistant value is empty are skipped as problems unless this is true. Default false.</summary>
    public bool AllowEmptyAssistant { get; init; }

    /// <inheritdoc />
    public override DataKind Produces => DataKind.Sft;

    /// <summary>The delimiter used.</summary>
    public char EffectiveDelimiter =>
        Delimiter ?? (Path.GetExtension(InputPath).ToLowerInvariant() is ".tsv" or ".tab" ? '\t' : ',');

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(UserTemplate))
            throw new ArgumentException("CSV import: the user template is empty; give one with {{column}} placeholders, e.g. \"{{question}}\".", nameof(UserTemplate));
        if (string.IsNullOrWhiteSpace(AssistantColumn))
            throw new ArgumentException("CSV import: no assistant column given; name the column that holds the answer.", nameof(AssistantColumn));
        PromptTemplate.Parse(UserTemplate, "user template");
        if (SystemPrompt is not null) PromptTemplate.Parse(SystemPrompt, "system prompt");
        (Reader with { Delimiter = EffectiveDelimiter }).Validate();
    }
}
