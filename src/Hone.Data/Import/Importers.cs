using Hone.Data.Import.Csv;
using Hone.Data.Import.Json;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Import;

/// <summary>The import entry point: one call per source format, chosen by the options' type.</summary>
public static class Importers
{
    /// <summary>
    /// Validates the options, reads the input (streaming) and writes the examples as OpenAI JSONL to
    /// <see cref="ImportOptions.OutputPath"/> atomically. Malformed records refuse the import (nothing is written, the
    /// first ones are named by file:line) unless <see cref="ImportOptions.SkipInvalid"/>, which leaves them out and
    /// lists them in the result; a broken file (e.g. unclosed CSV quote, invalid JSON array) throws and leaves no output.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (e.g. a template names an unknown column).</exception>
    /// <exception cref="FileNotFoundException">No input file.</exception>
    /// <exception cref="DataFormatException">The input cannot be read as its format (file:line:column).</exception>
    /// <exception cref="InvalidRecordsException">Malformed records without <see cref="ImportOptions.SkipInvalid"/>, or no record to write.</exception>
    public static ImportResult Import(ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var output = options.OutputPath ?? throw new ArgumentException("Import: no output file given; name the JSONL file to write.", nameof(options));
        var context = new ImportContext(options.InputPath, options.MaxProblems);
        switch (options.Produces)
        {
            case DataKind.Sft:
                JsonlWriter.Write(output, Checked(ReadChat(options, context), context, options.SkipInvalid));
                break;
            case DataKind.Dpo:
                JsonlWriter.Write(output, Checked(ReadPreference(options, context), context, options.SkipInvalid));
                break;
            default:
                throw new ArgumentException($"Import: {options.GetType().Name} produces {options.Produces}, which no importer writes.", nameof(options));
        }
        return new ImportResult(options.Produces, options.InputPath, output, context.Imported, context.Skipped, context.Problems, context.ProblemCount);
    }

    /// <summary>The items, then the check that they may be written (inside the atomic write: a refusal leaves no file).</summary>
    private static IEnumerable<T> Checked<T>(IEnumerable<T> items, ImportContext context, bool skipInvalid)
    {
        foreach (var item in items) yield return item;
        context.EnsureWritable(skipInvalid);
    }

    /// <summary>The chat SFT examples of an import, lazily (for options whose <see cref="ImportOptions.Produces"/> is Sft).</summary>
    public static IEnumerable<ChatExample> ReadChat(ImportOptions options, ImportContext context) => options switch
    {
        CsvImportOptions o => CsvImporter.Read(o, context),
        ShareGptImportOptions o => ShareGptImporter.Read(o, context),
        AlpacaImportOptions o => AlpacaImporter.Read(o, context),
        KtoImportOptions o => KtoImporter.Read(o, context),
        _ => throw new ArgumentException($"Import: {options?.GetType().Name} does not produce chat examples.", nameof(options)),
    };

    /// <summary>The preference pairs of an import, lazily (for options whose <see cref="ImportOptions.Produces"/> is Dpo).</summary>
    public static IEnumerable<PreferenceExample> ReadPreference(ImportOptions options, ImportContext context) => options switch
    {
        ShareGptPreferenceImportOptions o => ShareGptPreferenceImporter.Read(o, context),
        PreferenceImportOptions o => PreferenceImporter.Read(o, context),
        _ => throw new ArgumentException($"Import: {options?.GetType().Name} does not produce preference pairs.", nameof(options)),
    };
}
