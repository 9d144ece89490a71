using System.CommandLine;
using Hone.App.Data;
using Hone.Data.Import;
using Hone.Data.Model;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data import</c> and <c>hone data export</c>.</summary>
public static class DataImportExportCommands
{
    /// <summary>Builds <c>import</c>.</summary>
    public static Command CreateImport(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var format = new Argument<string>("FORMAT")
        {
            Description = "Input format: csv, tsv (a column mapping + prompt template), sharegpt, alpaca, llama-factory-dpo " +
                          "(ShareGPT preference pairs), llama-factory-tools (ShareGPT with function_call/observation turns), kto, hf-preference (prompt/chosen/rejected).",
        };
        format.AcceptOnlyFromAmong([.. DataImportFormats.Names]);
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
            var result = DataImport.Run(new DataImportRequest(p.GetValue(format)!, p.GetValue(input)!, p.GetValue(output)!, ctx.WorkingDirectory)
            {
                System = CommandLineEscapes.Unescape(p.GetValue(system)),
                UserTemplate = CommandLineEscapes.Unescape(p.GetValue(user)),
                AssistantColumn = p.GetValue(assistant),
                SkipInvalid = p.GetValue(skipInvalid),
            });
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
            var result = DataExport.Run(new DataExportRequest(p.GetValue(input)!, p.GetValue(output)!, DataCheckCommand.ParseKind(p.GetValue(to)!)!.Value,
                ctx.WorkingDirectory) { From = DataCheckCommand.ParseKind(p.GetValue(from)!), SkipInvalid = p.GetValue(skipInvalid) });
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
