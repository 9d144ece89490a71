using System.CommandLine;
using Hone.App.Workspaces;
using Hone.Evals.Specs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone init [DIR]</c>: creates a workspace, with a commented example eval spec and golden set in <c>evals/</c>. Parse, call <see cref="InitWorkspace"/>, print.</summary>
public static class InitCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var dir = new Argument<string>("DIR") { Description = "Folder to make a workspace (created if missing).", DefaultValueFactory = _ => "." };
        var task = new Option<string?>("--task") { Description = "Task name (default: the folder's name)." };
        var model = new Option<string?>("--model") { Description = "Default model: provider:model (a provider you add to hone.yaml) or a local model folder/file (must exist)." };
        var cmd = new Command("init", "Create a Hone workspace: hone.yaml, data/, prompts/, evals/, runs/ and the run store .hone/hone.db.")
        {
            dir, task, model,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var result = InitWorkspace.Run(new InitWorkspaceRequest(ctx.ResolvePath(p.GetValue(dir)!), ctx.WorkingDirectory, p.GetValue(task), p.GetValue(model)));
            ctx.WriteJson(result);
            ctx.Console.MarkupLine($"[green]Created workspace[/] {Markup.Escape(result.Workspace)} (task [bold]{Markup.Escape(result.Task)}[/])");
            ctx.Console.MarkupLine("  hone.yaml, data/, prompts/, evals/, runs/, .hone/hone.db");
            if (result.ExampleSpec is not null)
                ctx.Console.MarkupLine($"  evals/{ExampleSpec.SpecFile}: a commented example eval spec ('hone eval example --model local:DIR'; 'hone eval init --from FILE.jsonl' writes one for your data)");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
