using System.CommandLine;
using Hone.Data.Cost;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone init [DIR]</c>: creates a workspace.</summary>
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
            var root = ctx.ResolvePath(p.GetValue(dir)!);
            if (File.Exists(Path.Combine(root, Workspace.ConfigFileName)))
                throw new WorkspaceException($"{Path.Combine(root, Workspace.ConfigFileName)} already exists: this folder is already a workspace.");
            var config = new WorkspaceConfig
            {
                Task = p.GetValue(task) ?? (Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) is { Length: > 0 } n ? n : "my-task"),
                DefaultModel = p.GetValue(model) is { } m ? DefaultModel(ctx, m) : null,
            };
            var ws = Workspace.Init(root, config);
            ctx.WriteJson(new { workspace = ws.Root, config = ws.ConfigPath, database = ws.DatabasePath, task = ws.Config.Task });
            ctx.Console.MarkupLine($"[green]Created workspace[/] {Markup.Escape(ws.Root)} (task [bold]{Markup.Escape(ws.Config.Task)}[/])");
            ctx.Console.MarkupLine("  hone.yaml, data/, prompts/, evals/, runs/, .hone/hone.db");
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>
    /// The default model as hone.yaml keeps it: <c>provider:model</c> as given (providers are added to hone.yaml later);
    /// a local model, given as a path or as <c>local:PATH</c>, must exist and is kept as <c>local:FULL-PATH</c>.
    /// </summary>
    private static string DefaultModel(CliContext ctx, string value)
    {
        var local = value.StartsWith("local:", StringComparison.Ordinal) ? value["local:".Length..]
            : ModelReference.LooksLikePath(value) ? value : null;
        if (local is null) return value;
        var path = ctx.ResolvePath(ModelReference.ExpandHome(local));
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new CliUsageException($"--model '{value}': no such file or folder ({path}). Give an existing local model, or provider:model for a hosted one.");
        return "local:" + path;
    }
}
