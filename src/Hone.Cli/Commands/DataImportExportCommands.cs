using System.CommandLine;
using Hone.Data.Export;
using Hone.Data.Import;
using Hone.Data.Import.Csv;
using Hone.Data.Import.Json;
using Hone.Data.Model;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data import</c> and <c>hone data export</c>.</summary>
public static class DataImportExportCommands
{
    private static readonly string[] Formats = ["csv", "tsv", "sharegpt", "alpaca", "llama-factory-dpo", "llama-factory-tools", "kto", "hf-preference"];

    /// <summary>Builds <c>import</c>.</summary>
    public static Command CreateImport(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var format = new Argument<string>("FORMAT")
        {
            Description = "Input format: csv, tsv (a column mapping + prompt template), sharegpt, alpaca, llama-factory-dpo " +
                          "(ShareGPT preference pairs), llama-factory-tools (ShareGPT with function_call/observation turns), kto, hf-preference (prompt/chosen/rejected).",
        };
        format.AcceptOnlyFromAmong(Formats);
        var input = new Argument<string>("INPUT") { Description = "The file to import (never modified)." };
        var output = new Option<string>("--out", "-o") { Description = "The JSONL file to write (atomically).", Required = true };
        var system = new Option<string?>("--system") { Description = "csv/tsv: the system prompt of every example; " + CommandLineEscapes.Help };
        var user = new Option<string?>("--user-template")
        {
            Description = "csv/tsv: the user message, with {{column}} placeholders, e.g. \"{{title}}\\n{{description}}\"; " + CommandLineEscapes.Help,
        };
        var assistant = new Option<string?>("--assistant-column") { Description = "csv/tsv: the column holding the assistant's answer." };
        var skipInvalid = SkipInvalidOption("records that cannot be imported");
        var cmd = new Command("import", "Import a dataset into OpenAI JSONL (chat SFT or preference pairs). A malformed record means nothing is " +
            "written (exit 2, the records named by line) unless --skip-invalid.")
        {
            format, input, output, system, user, assistant, skipInvalid,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var fmt = p.GetValue(format)!;
            var inPath = ctx.ResolvePath(p.GetValue(input)!);
            var outPath = ctx.ResolvePath(p.GetValue(output)!);
            if (!File.Exists(inPath)) throw new FileNotFoundException($"{inPath}: file not found.");
            if (string.Equals(inPath, outPath, StringComparison.Ordinal)) throw new CliUsageException("--out must differ from INPUT: inputs are never overwritten.");
            if (fmt is not ("csv" or "tsv") && (p.GetValue(system) ?? p.GetValue(user) ?? p.GetValue(assistant)) is not null)
                throw new CliUsageException("--system, --user-template and --assistant-column apply to csv and tsv only.");
            ImportOptions options = fmt switch
            {
                "csv" or "tsv" => new CsvImportOptions
                {
                    InputPath = inPath,
                    OutputPath = outPath,
                    Delimiter = fmt == "tsv" ? '\t' : null,
                    SystemPrompt = CommandLineEscapes.Unescape(p.GetValue(system)),
                    UserTemplate = CommandLineEscapes.Unescape(p.GetValue(user)) ?? throw new CliUsageException("csv/tsv import needs --user-template, e.g. --user-template \"{{title}}: {{description}}\"."),
                    AssistantColumn = p.GetValue(assistant) ?? throw new CliUsageException("csv/tsv import needs --assistant-column, the column with the answer."),
                },
                "sharegpt" or "llama-factory-tools" => new ShareGptImportOptions { InputPath = inPath, OutputPath = outPath },
                "alpaca" => new AlpacaImportOptions { InputPath = inPath, OutputPath = outPath },
                "llama-factory-dpo" => new ShareGptPreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
                "kto" => new KtoImportOptions { InputPath = inPath, OutputPath = outPath },
                _ => new PreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
            };
            var result = Importers.Import(options with { SkipInvalid = p.GetValue(skipInvalid) });
            ctx.WriteJson(result);
            ctx.Console.MarkupLine($"[green]Imported[/] {result.Imported:N0} {Describe(result.Kind)} → {Markup.Escape(result.OutputPath)}" +
                (result.Skipped > 0 ? $" ([yellow]{result.Skipped} skipped[/])" : ""));
            WriteSkipped(ctx, result.Problems, result.ProblemCount);
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Builds <c>export</c>.</summary>
    public static Command CreateExport(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var input = new Argument<string>("INPUT") { Description = "A JSONL file in any supported format (never modified)." };
        var to = new Option<string>("--to") { Description = "Format to write: sft (chat), dpo (preference), rft (reinforcement) or prompt-completion.", Required = true };
        to.AcceptOnlyFromAmong("sft", "dpo", "rft", "prompt-completion");
        var from = new Option<string>("--from") { Description = "Format of INPUT: auto (detected), sft, dpo, rft or prompt-completion.", DefaultValueFactory = _ => "auto" };
        from.AcceptOnlyFromAmong("auto", "sft", "dpo", "rft", "prompt-completion");
        var output = new Option<string>("--out", "-o") { Description = "The JSONL file to write (atomically).", Required = true };
        var skipInvalid = SkipInvalidOption("records that cannot be read or converted");
        var cmd = new Command("export", "Convert a dataset between the supported JSONL formats (chat SFT, preference, reinforcement, prompt/completion). " +
            "A record that cannot be read or converted means nothing is written (exit 2) unless --skip-invalid.")
        {
            input, to, from, output, skipInvalid,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var inPath = ctx.ResolvePath(p.GetValue(input)!);
            var outPath = ctx.ResolvePath(p.GetValue(output)!);
            if (!File.Exists(inPath)) throw new FileNotFoundException($"{inPath}: file not found.");
            if (string.Equals(inPath, outPath, StringComparison.Ordinal)) throw new CliUsageException("--out must differ from INPUT: inputs are never overwritten.");
            var result = Exporter.Export(new ExportOptions
            {
                InputPath = inPath,
                OutputPath = outPath,
                From = DataCheckCommand.ParseKind(p.GetValue(from)!),
                To = DataCheckCommand.ParseKind(p.GetValue(to)!)!.Value,
                SkipInvalid = p.GetValue(skipInvalid),
            });
            ctx.WriteJson(result);
            ctx.Console.MarkupLine($"[green]Exported[/] {result.Exported:N0} examples ({result.From} → {result.To}) → {Markup.Escape(result.OutputPath)}" +
                (result.Skipped > 0 ? $" ([yellow]{result.Skipped} skipped[/])" : ""));
            WriteSkipped(ctx, result.Problems, result.ProblemCount);
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary><c>--skip-invalid</c> of the commands that write data files.</summary>
    internal static Option<bool> SkipInvalidOption(string what) =>
        new("--skip-invalid") { Description = $"Leave out {what} (they are listed) instead of writing nothing." };

    /// <summary>Lists the records left out by <c>--skip-invalid</c>.</summary>
    internal static void WriteSkipped(CliContext ctx, IReadOnlyList<ImportProblem> problems, int count)
    {
        if (count == 0) return;
        ctx.Console.MarkupLine($"[yellow]{count} record{(count == 1 ? "" : "s")} left out[/] (--skip-invalid):");
        foreach (var problem in problems.Take(20)) ctx.Console.MarkupLine($"  [yellow]{Markup.Escape(problem.ToString())}[/]");
        if (count > 20) ctx.Console.MarkupLine($"  … {count - 20} more (see --json)");
    }

    private static string Describe(DataKind kind) => kind switch
    {
        DataKind.Sft => "chat examples",
        DataKind.Dpo => "preference pairs",
        DataKind.Rft => "reinforcement items",
        _ => "prompt/completion examples",
    };
}
