using System.CommandLine;
using System.Globalization;
using Hone.Evals.Graders.Config;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Models.Chat;
using Hone.Store;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval SPEC</c> and its subcommands <c>baseline</c>, <c>compare</c>, <c>edge-cases</c>, <c>show</c>.
/// <c>hone eval compare</c> is the same command as <c>hone compare</c> (<see cref="CompareCommand"/>); <c>hone eval
/// edge-cases --export</c> and <c>hone edge export</c> share <see cref="Hone.Evals.EdgeCases.EdgeCaseExport"/>.
/// </summary>
public static class EvalCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = EvalRunCommand.Create(host);
        cmd.Subcommands.Add(EvalBaselineCommand.Create(host));
        cmd.Subcommands.Add(EvalCompareCommand.Create(host));
        cmd.Subcommands.Add(EvalEdgeCasesCommand.Create(host));
        cmd.Subcommands.Add(EvalShowCommand.Create(host));
        cmd.Subcommands.Add(EvalInitCommand.Create(host));
        return cmd;
    }

    /// <summary>
    /// The resolver for model names: hone.yaml providers, and <c>local:DIR</c> loaded in-process. With
    /// <paramref name="store"/>, local models are identified by content (weights, tokenizer, chat template), their file
    /// hashes remembered in the store, so the response cache never serves one model's answers to another.
    /// </summary>
    /// <param name="ws">The workspace (its providers).</param>
    /// <param name="template">A built-in chat template for local models that have none (<c>--template</c>).</param>
    /// <param name="store">The run store remembering file hashes; null: local models are not identified by content.</param>
    /// <param name="resolvePath">Anchors a relative <c>local:DIR</c> (at the command's working directory).</param>
    /// <param name="tokenizer">A tokenizer for local models without one beside them (<c>--tokenizer</c>, already resolved).</param>
    internal static ChatModelResolver Resolver(Workspace ws, string? template, RunStore? store = null, Func<string, string>? resolvePath = null,
        string? tokenizer = null) =>
        new(ws.Config, dir => new LocalModel(resolvePath?.Invoke(dir) ?? dir, tokenizer, template).LoadClient(new LocalChatClientOptions
        {
            IdentifyByContent = store is not null,
            FileHashMemo = store is null ? null : new EvalFileHashMemo(store),
        }))
        {
            RunFactory = reference => RunModel(reference, store, resolvePath),
        };

    /// <summary>
    /// <c>run:RUN[@EPOCH]</c>: the run folder (relative to the working directory) or a run id of the store, its best
    /// checkpoint by golden-set score when it has one, else its newest (or the epoch named), applied in process.
    /// </summary>
    internal static IChatClient RunModel(string reference, RunStore? store, Func<string, string>? resolvePath)
    {
        var (run, epoch) = Hone.Training.Export.RunChatClient.Parse(reference);
        var folder = resolvePath?.Invoke(run) ?? Path.GetFullPath(run);
        if (!Directory.Exists(folder))
            folder = store?.FindRun(run)?.Folder ?? throw new CliUsageException($"run:{reference}: '{run}' is neither a run folder nor a run id of this workspace.");
        return Hone.Training.Export.RunChatClient.Load(folder, epoch);
    }

    /// <summary>Finds a spec: as given (relative to the working directory), else in the workspace's evals folder.</summary>
    internal static string FindSpec(CliContext ctx, Workspace ws, string spec)
    {
        var path = ctx.ResolvePath(spec);
        if (File.Exists(path)) return path;
        foreach (var candidate in new[] { spec, spec + ".yaml", spec + ".yml" })
        {
            var inEvals = Path.Combine(ws.EvalsDir, candidate);
            if (File.Exists(inEvals)) return inEvals;
        }
        throw new EvalSpecException($"{path}: eval spec not found (also looked in {ws.EvalsDir}).");
    }

    /// <summary>Loads a spec with model graders served by the same resolver.</summary>
    internal static EvalSpec LoadSpec(string path, ChatModelResolver resolver) =>
        EvalSpec.Load(path, new GraderEnvironment { JudgeClient = resolver.Resolve });

    /// <summary>Loads the spec a run was made from (its path is recorded in the run's options).</summary>
    internal static EvalSpec SpecOfRun(RunRecord run, ChatModelResolver resolver)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(run.OptionsJson);
        var path = doc.RootElement.TryGetProperty("spec", out var s) ? s.GetString() : null;
        if (path is null || !File.Exists(path))
            throw new EvalSpecException($"Run '{run.Id}' was made from the spec '{path}', which no longer exists.");
        return LoadSpec(path, resolver);
    }

    /// <summary>A number as a percentage with one decimal.</summary>
    internal static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Shortens text for a table cell.</summary>
    internal static string Cell(string s, int max = 60)
    {
        s = s.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "⏎", StringComparison.Ordinal);
        return Markup.Escape(s.Length <= max ? s : s[..(max - 1)] + "…");
    }

    /// <summary>Disposes a client if it is disposable (the resolver hands out fresh ones).</summary>
    internal static void Release(IChatClient client) => client.Dispose();
}
