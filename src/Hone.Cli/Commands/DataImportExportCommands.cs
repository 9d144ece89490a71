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
        var system = new Option<string?>("--system") { Description = "csv/tsv: the system prompt of every example." };
        var user = new Option<string?>("--user-template") { Description = "csv/tsv: the user message, with {{column}} placeholders." };
        var assistant = new Option<string?>("--assistant-column") { Description = "csv/tsv: the column holding the assistant's answer." };
        var cmd = new Command("import", "Import a dataset into OpenAI JSONL (chat SFT or preference pairs).")
        {
            format, input, output, system, user, assistant,
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
                    SystemPrompt = p.GetValue(system),
                    UserTemplate = p.GetValue(user) ?? throw new CliUsageException("csv/tsv import needs --user-template, e.g. --user-template \"{{title}}: {{description}}\"."),
                    AssistantColumn = p.GetValue(assistant) ?? throw new CliUsageException("csv/tsv import needs --assistant-column, the column with the answer."),
                },
                "sharegpt" or "llama-factory-tools" => new ShareGptImportOptions { InputPath = inPath, OutputPath = outPath },
                "alpaca" => new AlpacaImportOptions { InputPath = inPath, OutputPath = outPath },
                "llama-factory-dpo" => new ShareGptPreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
                "kto" => new KtoImportOptions { InputPath = inPath, OutputPath = outPath },
                _ => new PreferenceImportOptions { InputPath = inPath, OutputPath = outPath },
            };
            var result = Importers.Import(options);
            ctx.WriteJson(result);
            ctx.Console.MarkupLine($"[green]Imported[/] {result.Imported:N0} {Describe(result.Kind)} → {Markup.Escape(result.OutputPath)}" +
                (result.Skipped > 0 ? $" ([yellow]{result.Skipped} skipped[/])" : ""));
            foreach (var problem in result.Problems.Take(20)) ctx.Console.MarkupLine($"  [yellow]{Markup.Escape(problem.ToString())}[/]");
            if (result.ProblemCount > 20) ctx.Console.MarkupLine($"  … {result.ProblemCount - 20} more (see --json)");
            return result.Skipped > 0 ? ExitCodes.ProblemsFound : ExitCodes.Success;
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
        var cmd = new Command("export", "Convert a dataset between the supported JSONL formats (chat SFT, preference, reinforcement, prompt/completion).")
        {
            input, to, from, output,
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
            });
            ctx.WriteJson(result);
            ctx.Console.MarkupLine($"[green]Exported[/] {result.Exported:N0} examples ({result.From} → {result.To}) → {Markup.Escape(result.OutputPath)}" +
                (result.Skipped > 0 ? $" ([yellow]{result.Skipped} skipped[/])" : ""));
            foreach (var problem in result.Problems.Take(20)) ctx.Console.MarkupLine($"  [yellow]{Markup.Escape(problem.ToString())}[/]");
            return result.Skipped > 0 ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    private static string Describe(DataKind kind) => kind switch
    {
        DataKind.Sft => "chat examples",
        DataKind.Dpo => "preference pairs",
        DataKind.Rft => "reinforcement items",
        _ => "prompt/completion examples",
    };
}
