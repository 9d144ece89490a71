using Hone.Data.Export;
using Hone.Data.Import;
using Hone.Data.Import.Csv;
using Hone.Data.Import.Json;
using Hone.Data.Model;

namespace Hone.App.Data;

/// <summary>The input formats <see cref="DataImport"/> reads.</summary>
public static class DataImportFormats
{
    /// <summary>csv, tsv, sharegpt, alpaca, llama-factory-dpo, llama-factory-tools, kto, hf-preference.</summary>
    public static readonly IReadOnlyList<string> Names = ["csv", "tsv", "sharegpt", "alpaca", "llama-factory-dpo", "llama-factory-tools", "kto", "hf-preference"];
}

/// <summary>What <see cref="DataImport"/> is asked.</summary>
/// <param name="Format">One of <see cref="DataImportFormats.Names"/>.</param>
/// <param name="Input">The file to import (at <paramref name="WorkingDirectory"/>; never modified).</param>
/// <param name="Output">The JSONL file to write (atomically).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataImportRequest(string Format, string Input, string Output, string WorkingDirectory)
{
    /// <summary>csv/tsv: the system prompt of every example (escapes already expanded), or null.</summary>
    public string? System { get; init; }

    /// <summary>csv/tsv: the user message with {{column}} placeholders (required for csv/tsv).</summary>
    public string? UserTemplate { get; init; }

    /// <summary>csv/tsv: the column holding the assistant's answer (required for csv/tsv).</summary>
    public string? AssistantColumn { get; init; }

    /// <summary>Leave out records that cannot be imported instead of writing nothing.</summary>
    public bool SkipInvalid { get; init; }
}

/// <summary>What <see cref="DataExport"/> is asked.</summary>
/// <param name="Input">A JSONL file in any supported format (at <paramref name="WorkingDirectory"/>; never modified).</param>
/// <param name="Output">The JSONL file to write (atomically).</param>
/// <param name="To">The format to write.</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataExportRequest(string Input, string Output, DataKind To, string WorkingDirectory)
{
    /// <summary>The format of the input, or null to detect it.</summary>
    public DataKind? From { get; init; }

    /// <summary>Leave out records that cannot be read or converted instead of writing nothing.</summary>
    public bool SkipInvalid { get; init; }
}

/// <summary>Use case "import a dataset into OpenAI JSONL" (chat SFT or preference pairs); the result is <see cref="ImportResult"/>.</summary>
public static class DataImport
{
    /// <summary>Imports; nothing is written when a record is malformed unless <see cref="DataImportRequest.SkipInvalid"/>.</summary>
    public static ImportResult Run(DataImportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (inPath, outPath) = DataFiles.InputAndOutput(request.Input, request.Output, request.WorkingDirectory);
        var fmt = request.Format;
        if (!DataImportFormats.Names.Contains(fmt))
            throw new UseCaseException($"FORMAT '{fmt}' is not one of {string.Join(", ", DataImportFormats.Names)}.");
        if (fmt is not ("csv" or "tsv") && (request.System ?? request.UserTemplate ?? request.AssistantColumn) is not null)
            throw new UseCaseException("--system, --user-template and --assistant-column apply to csv and tsv only.");
        ImportOptions options = fmt switch
        {
            "csv" or "tsv" => new CsvImportOptions
            {
                InputPath = inPath,
                OutputPath = outPath,
                Delimiter = fmt == "tsv" ? '\t' : null,
                SystemPrompt = request.System,
                UserTemplate = request.UserTemplate ?? throw new UseCaseException("csv/tsv import needs --user-template, e.g. --user-template \"{{title}}: {{description}}\"."),
                AssistantColumn = request.AssistantColumn ?? throw new UseCaseException("csv/tsv import needs --assistant-column, the column with the answer."),
            },
            "sharegpt" or "llama-factory-tools" => new ShareGptImportOptions { InputPath = inPath, OutputPath = outPath },
            "alpaca" => new AlpacaImportOptions { InputPath = inPath, OutputPath = outPath },
            "llama-factory-dpo" => new ShareGptPreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
            "kto" => new KtoImportOptions { InputPath = inPath, OutputPath = outPath },
            _ => new PreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
        };
        return Importers.Import(options with { SkipInvalid = request.SkipInvalid });
    }
}

/// <summary>Use case "convert a dataset between the supported JSONL formats"; the result is <see cref="ExportResult"/>.</summary>
public static class DataExport
{
    /// <summary>Converts; nothing is written when a record cannot be read or converted unless <see cref="DataExportRequest.SkipInvalid"/>.</summary>
    public static ExportResult Run(DataExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (inPath, outPath) = DataFiles.InputAndOutput(request.Input, request.Output, request.WorkingDirectory);
        return Exporter.Export(new ExportOptions
        {
            InputPath = inPath,
            OutputPath = outPath,
            From = request.From,
            To = request.To,
            SkipInvalid = request.SkipInvalid,
        });
    }
}

/// <summary>The rules every data command that reads one file and writes another shares.</summary>
internal static class DataFiles
{
    /// <summary>Both paths resolved; the input must exist and the output must not be it (inputs are never overwritten).</summary>
    public static (string Input, string Output) InputAndOutput(string input, string output, string workingDirectory)
    {
        var inPath = Path.GetFullPath(Path.Combine(workingDirectory, input));
        var outPath = Path.GetFullPath(Path.Combine(workingDirectory, output));
        if (!File.Exists(inPath)) throw new FileNotFoundException($"{inPath}: file not found.");
        if (string.Equals(inPath, outPath, StringComparison.Ordinal)) throw new UseCaseException("--out must differ from INPUT: inputs are never overwritten.");
        return (inPath, outPath);
    }
}
