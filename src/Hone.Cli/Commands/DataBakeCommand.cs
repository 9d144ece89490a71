using System.CommandLine;
using Hone.App.Prompts;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data bake PROMPT --data FILE [--out OUT] [--no-few-shot]</c>: the best prompt written into every training example.</summary>
public static class DataBakeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var prompt = PromptCli.PromptArgument();
        var data = new Option<string>("--data") { Description = "Training examples (OpenAI chat JSONL); never modified.", Required = true };
        var output = new Option<string?>("--out") { Description = "Output file (default: DATA's name with .baked.jsonl), written atomically." };
        var noShots = new Option<bool>("--no-few-shot") { Description = "Write only the system message, not the prompt's few-shot turns." };
        var cmd = new Command("bake", "Write a prompt's system message (rendered with each example's fields) and few-shot turns into every training example, " +
            "so the model is trained on the prompt it will run with; prints a diff summary.") { prompt, data, output, noShots };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = PromptBake.Run(new PromptBakeRequest(p.GetValue(prompt)!, p.GetValue(data)!, ctx.WorkingDirectory, p.GetValue(output), !p.GetValue(noShots)));
            ctx.WriteJson(r);
            ctx.Console.MarkupLine($"baked [bold]{Markup.Escape(r.Prompt)}[/] into {r.Examples} examples → {Markup.Escape(r.OutPath)}");
            ctx.Console.MarkupLine($"system message: {r.SystemReplaced} replaced, {r.SystemAdded} added, {r.SystemUnchanged} already the prompt's; " +
                $"few-shot messages added: {r.FewShotTurnsAdded}; message characters {r.CharsBefore:N0} → {r.CharsAfter:N0}");
            if (r.ExampleAfter is not null)
            {
                ctx.Console.MarkupLine("first change:");
                ctx.Console.MarkupLine($"[red]- {Markup.Escape(EvalCommands.Cell(r.ExampleBefore ?? "(no system message)", 110))}[/]");
                ctx.Console.MarkupLine($"[green]+ {Markup.Escape(EvalCommands.Cell(r.ExampleAfter, 110))}[/]");
            }
            ctx.Console.MarkupLine($"next: [bold]hone data check {Markup.Escape(r.OutPath)}[/], then train on it.");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
