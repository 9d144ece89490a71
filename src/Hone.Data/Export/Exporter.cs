using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Import;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Export;

/// <summary>The export entry point: streams the input, converts each record, writes the output atomically.</summary>
public static class Exporter
{
    /// <summary>
    /// Validates the options, then writes every readable, convertible record of the input as <see cref="ExportOptions.To"/>.
    /// Unreadable or unconvertible records refuse the export (nothing is written; the first are named by line) unless
    /// <see cref="ExportOptions.SkipInvalid"/>, which leaves them out and lists them. An unsupported conversion throws
    /// before anything is written.
    /// </summary>
    /// <exception cref="InvalidRecordsException">Such records without <see cref="ExportOptions.SkipInvalid"/>, or no record to write.</exception>
    /// <exception cref="ArgumentException">Invalid options or an unsupported conversion (the message says why).</exception>
    /// <exception cref="FileNotFoundException">No input file.</exception>
    public static ExportResult Export(ExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var context = new ImportContext(options.InputPath, options.MaxProblems);
        DataKind? from = options.From;
        JsonlWriter.WriteLines(options.OutputPath, Lines(), static s => s);
        return new ExportResult(from ?? options.To, options.To, options.OutputPath, context.Imported, context.Skipped, context.Problems, context.ProblemCount);

        IEnumerable<string> Lines()
        {
            using var reader = JsonlReader.Open(options.InputPath);
            long record = 0;
            foreach (var line in reader.ReadLines())
            {
                if (line.Root is not { } root)
                {
                    var errors = line.Findings.Where(f => f.Severity == FindingSeverity.Error && f.Code != FindingCodes.BlankLine).ToList();
                    if (errors.Count == 0) continue;
                    record++;
                    context.Problem(record, line.LineNumber, string.Join(" ", errors.Select(f => f.Message + " " + f.Fix)));
                    continue;
                }
                record++;
                if (from is null)
                {
                    from = ExampleValidators.Detect(root);
                    ExampleConversions.EnsureSupported(from.Value, options.To);
                }
                string? output;
                try
                {
                    output = Convert(root, from.Value, options.To, options.InputPath, line.LineNumber);
                }
                catch (Exception e) when (e is DataFormatException or ConversionException)
                {
                    context.Problem(record, line.LineNumber, e.Message);
                    continue;
                }
                context.Imported++;
                yield return output;
            }
            context.EnsureWritable(options.SkipInvalid); // inside the atomic write: a refusal leaves no file
        }
    }

    private static string Convert(JsonElement root, DataKind from, DataKind to, string source, long line)
    {
        switch (from)
        {
            case DataKind.Sft:
                var chat = OpenAiJson.FromElement<ChatExample>(root, source, line);
                if (chat.Messages.Count == 0) throw NotKind(from);
                return to switch
                {
                    DataKind.Sft => OpenAiJson.Serialize(chat),
                    DataKind.PromptCompletion => OpenAiJson.Serialize(ExampleConversions.ToPromptCompletion(chat)),
                    DataKind.Rft => OpenAiJson.Serialize(ExampleConversions.ToReinforcement(chat)),
                    _ => throw Unsupported(from, to),
                };
            case DataKind.Dpo:
                var pair = OpenAiJson.FromElement<PreferenceExample>(root, source, line);
                if (pair.Input.Messages.Count == 0 || pair.PreferredOutput.Count == 0) throw NotKind(from);
                return to switch
                {
                    DataKind.Dpo => OpenAiJson.Serialize(pair),
                    DataKind.Sft => OpenAiJson.Serialize(ExampleConversions.ToChat(pair)),
                    DataKind.PromptCompletion => OpenAiJson.Serialize(ExampleConversions.ToPromptCompletion(ExampleConversions.ToChat(pair))),
                    _ => throw Unsupported(from, to),
                };
            case DataKind.PromptCompletion:
                if (!root.TryGetProperty("prompt", out _) || !root.TryGetProperty("completion", out _)) throw NotKind(from);
                var pc = OpenAiJson.FromElement<PromptCompletionExample>(root, source, line);
                return to switch
                {
                    DataKind.PromptCompletion => OpenAiJson.Serialize(pc),
                    DataKind.Sft => OpenAiJson.Serialize(ExampleConversions.ToChat(pc)),
                    _ => throw Unsupported(from, to),
                };
            case DataKind.Rft:
                var rft = OpenAiJson.FromElement<ReinforcementExample>(root, source, line);
                if (rft.Messages.Count == 0) throw NotKind(from);
                return to == DataKind.Rft ? OpenAiJson.Serialize(rft) : throw Unsupported(from, to);
            default:
                throw Unsupported(from, to);
        }
    }

    private static ConversionException NotKind(DataKind kind) => new(
        $"the record does not have the shape of a {ExampleConversions.Name(kind)} example (its required keys are missing or empty); " +
        "the file may mix kinds: export each kind from its own file, or name the input kind.");

    private static ArgumentException Unsupported(DataKind from, DataKind to)
    {
        ExampleConversions.EnsureSupported(from, to);
        return new ArgumentException($"Export: cannot convert {ExampleConversions.Name(from)} to {ExampleConversions.Name(to)}.");
    }
}
