using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Import.Csv;

/// <summary>Reads a CSV/TSV file as chat SFT examples by <see cref="CsvImportOptions"/>; streams one row at a time.</summary>
public static class CsvImporter
{
    /// <summary>
    /// The examples, lazily. Rows with the wrong number of fields or an empty answer are reported to
    /// <paramref name="context"/> and skipped. The header is checked against the templates before any row is read.
    /// </summary>
    /// <exception cref="ArgumentException">A template names a column the file does not have (the message lists those it has).</exception>
    /// <exception cref="DataFormatException">The file breaks the CSV rules (file:line:column).</exception>
    public static IEnumerable<ChatExample> Read(CsvImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        options.Validate();
        using var reader = CsvReader.Open(options.InputPath, options.Reader with { Delimiter = options.EffectiveDelimiter });
        using var records = reader.ReadRecords().GetEnumerator();
        if (!records.MoveNext())
            throw new DataFormatException($"{options.InputPath}:1: the file is empty; a CSV import needs a header line with column names.");
        var header = CsvHeader.From(records.Current, options.InputPath);
        var user = PromptTemplate.Parse(options.UserTemplate, "user template").Bind(header, "user template");
        var system = options.SystemPrompt is null ? null : PromptTemplate.Parse(options.SystemPrompt, "system prompt").Bind(header, "system prompt");
        var answer = header.Require(options.AssistantColumn, "assistant column");
        while (records.MoveNext())
        {
            var row = records.Current;
            if (row.Fields.Count != header.Names.Count)
            {
                context.Problem(row.Number, row.Line,
                    $"the row has {row.Fields.Count} fields but the header has {header.Names.Count} ({header.Available}); quote fields that contain the delimiter.");
                continue;
            }
            var assistant = row.Fields[answer];
            if (assistant.Trim().Length == 0 && !options.AllowEmptyAssistant)
            {
                context.Problem(row.Number, row.Line, $"the assistant column '{options.AssistantColumn}' is empty; fill it or drop the row.");
                continue;
            }
            var example = new ChatExample();
            if (system is not null) example.Messages.Add(new ChatMessage(ChatRole.System, system.Render(row.Fields)));
            example.Messages.Add(new ChatMessage(ChatRole.User, user.Render(row.Fields)));
            example.Messages.Add(new ChatMessage(ChatRole.Assistant, assistant));
            context.Imported++;
            yield return example;
        }
    }
}
