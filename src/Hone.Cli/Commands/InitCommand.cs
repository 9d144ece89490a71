using System.CommandLine;
using Hone.Data.Cost;
using Hone.Evals.Specs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The <c>--json</c> document of <c>hone init</c>.</summary>
/// <param name="Workspace">The workspace folder.</param>
/// <param name="Config">Its hone.yaml.</param>
/// <param name="Database">Its run store.</param>
/// <param name="Task">The task name.</param>
/// <param name="ExampleSpec">The example eval spec written into evals/, or null when one was there already.</param>
public sealed record InitJson(string Workspace, string Config, string Database, string Task, string? ExampleSpec);

/// <summary><c>hone init [DIR]</c>: creates a workspace, with a commented example eval spec and golden set in <c>evals/</c>.</summary>
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
            var example = WriteExample(ws);
            ctx.WriteJson(new InitJson(ws.Root, ws.ConfigPath, ws.DatabasePath, ws.Config.Task, example));
            ctx.Console.MarkupLine($"[green]Created workspace[/] {Markup.Escape(ws.Root)} (task [bold]{Markup.Escape(ws.Config.Task)}[/])");
            ctx.Console.MarkupLine("  hone.yaml, data/, prompts/, evals/, runs/, .hone/hone.db");
            if (example is not null)
                ctx.Console.MarkupLine($"  evals/{ExampleSpec.SpecFile}: a commented example eval spec ('hone eval example --model local:DIR'; 'hone eval init --from FILE.jsonl' writes one for your data)");
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Writes the example spec and golden set into evals/ unless files of those names exist; the spec's path, or null.</summary>
    private static string? WriteExample(Workspace ws)
    {
        var spec = Path.Combine(ws.EvalsDir, ExampleSpec.SpecFile);
        var golden = Path.Combine(ws.EvalsDir, ExampleSpec.GoldenSetFile);
        if (File.Exists(spec) || File.Exists(golden)) return null;
        AtomicFile.WriteAllText(golden, ExampleSpec.GoldenSet);
        AtomicFile.WriteAllText(spec, ExampleSpec.Spec);
        return spec;
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
