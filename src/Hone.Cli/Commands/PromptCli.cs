using Hone.App.Evals;
using System.CommandLine;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Files;
using Hone.Store;

namespace Hone.Cli.Commands;

/// <summary>The golden cases a prompt command works on, with their spec (graders, price) when one was named.</summary>
/// <param name="Spec">The eval spec, or null when a bare golden JSONL was given.</param>
/// <param name="Cases">The cases.</param>
/// <param name="Path">The golden set file.</param>
internal sealed record GoldenInput(EvalSpec? Spec, IReadOnlyList<GoldenCase> Cases, string Path);

/// <summary>Plumbing shared by the <c>hone prompt</c> commands: finding prompt files and golden sets, the model options.</summary>
internal static class PromptCli
{
    public static Argument<string> PromptArgument() => new("PROMPT") { Description = "A prompt or chain file (YAML), a path or a name in the workspace's prompts folder." };

    public static Option<string?> GoldenOption() => new("--golden")
    {
        Description = "The eval spec (golden set and graders), a path or a name in evals/; default: the only spec in evals/.",
    };

    /// <summary>Finds a prompt file: as given, else in the workspace's prompts folder (with .yaml or .yml added).</summary>
    public static PromptFile LoadPrompt(CliContext ctx, Workspace? ws, string name, ChatModelResolver? resolver = null) =>
        EvalWorkspace.LoadPrompt(ws, name, ctx.WorkingDirectory, resolver);

    /// <summary>The golden cases of <paramref name="golden"/>: an eval spec, a golden JSONL, or (null) the only spec in evals/.</summary>
    public static GoldenInput LoadGolden(CliContext ctx, Workspace? ws, string? golden, ChatModelResolver? resolver, bool specRequired)
    {
        if (golden is not null && golden.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            if (specRequired) throw new CliUsageException($"--golden {golden}: give an eval spec (golden set and graders), not a bare JSONL; 'hone eval init --from {golden}' writes one.");
            var p = ctx.ResolvePath(golden);
            return new GoldenInput(null, GoldenSet.Load(p), p);
        }
        if (ws is null) throw new WorkspaceException("No Hone workspace here: run 'hone init', or give --golden FILE.jsonl.");
        string specPath;
        if (golden is not null) specPath = EvalWorkspace.FindSpec(ws, golden, ctx.WorkingDirectory);
        else
        {
            var specs = Directory.Exists(ws.EvalsDir)
                ? Directory.GetFiles(ws.EvalsDir, "*.y*ml").Where(f => !f.EndsWith(".graders.yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList() : [];
            if (specs.Count != 1)
                throw new CliUsageException($"Give --golden SPEC: {(specs.Count == 0 ? "evals/ has no spec ('hone eval init --from FILE' writes one)" : "evals/ has " + string.Join(", ", specs.Select(Path.GetFileName)))}.");
            specPath = specs[0];
        }
        var spec = resolver is null ? EvalSpec.Load(specPath) : EvalWorkspace.LoadSpec(specPath, resolver);
        return new GoldenInput(spec, GoldenSet.Load(spec.GoldenSetPath), spec.GoldenSetPath);
    }

    /// <summary>A case by id, or by 1-based position when no case has that id.</summary>
    public static GoldenCase FindCase(GoldenInput g, string idOrIndex)
    {
        if (g.Cases.FirstOrDefault(c => c.Id == idOrIndex) is { } byId) return byId;
        if (int.TryParse(idOrIndex, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= g.Cases.Count) return g.Cases[n - 1];
        throw new CliUsageException($"--case {idOrIndex}: no case with that id, and not a position from 1 to {g.Cases.Count} in {g.Path}.");
    }
}
