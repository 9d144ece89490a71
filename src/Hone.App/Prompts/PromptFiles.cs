using System.Globalization;
using Hone.App.Evals;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Files;
using Hone.Prompting.Lint;
using Hone.Prompting.Rendering;
using Hone.Store;

namespace Hone.App.Prompts;

/// <summary>The golden cases a prompt use case works on, with their spec (graders, price) when one was named.</summary>
/// <param name="Spec">The eval spec, or null when a bare golden JSONL was given.</param>
/// <param name="Cases">The cases.</param>
/// <param name="Path">The golden set file.</param>
public sealed record GoldenInput(EvalSpec? Spec, IReadOnlyList<GoldenCase> Cases, string Path);

/// <summary>What <see cref="PromptFiles.Show"/> is asked.</summary>
/// <param name="Prompt">A prompt or chain file: a path, or a name in the workspace's prompts folder.</param>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Golden">The eval spec or golden JSONL, or null for the only spec in evals/.</param>
/// <param name="Case">The case: its id, or its 1-based position.</param>
public sealed record PromptShowRequest(string Prompt, string WorkingDirectory, string? Golden = null, string Case = "1");

/// <summary>What <see cref="PromptFiles.Lint"/> is asked.</summary>
/// <param name="Prompt">A prompt or chain file: a path, or a name in the workspace's prompts folder.</param>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Golden">The eval spec or golden JSONL whose cases leakage is checked against, or null for the only spec in evals/ (none: no cases).</param>
public sealed record PromptLintRequest(string Prompt, string WorkingDirectory, string? Golden = null);

/// <summary>Use cases "show a prompt rendered for a case" and "lint a prompt", and the finding of prompt files and golden sets the prompt use cases share.</summary>
public static class PromptFiles
{
    /// <summary>Renders the prompt or chain for one golden case: messages, sampling, response format, tools.</summary>
    public static PromptPreviewResult Show(PromptShowRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.WorkingDirectory);
        var file = EvalWorkspace.LoadPrompt(ws, request.Prompt, request.WorkingDirectory);
        var g = LoadGolden(request.WorkingDirectory, ws, request.Golden, null, specRequired: false);
        return PromptPreview.Render(file, FindCase(g, request.Case), g.Path);
    }

    /// <summary>Lints the prompt: variables, empty sections, few-shot examples that leak golden cases (when there are cases).</summary>
    public static LintReport Lint(PromptLintRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Find(request.WorkingDirectory);
        var file = EvalWorkspace.LoadPrompt(ws, request.Prompt, request.WorkingDirectory);
        GoldenInput? g = null;
        if (request.Golden is { } named) g = LoadGolden(request.WorkingDirectory, ws, named, null, specRequired: false);
        else if (ws is not null)
        {
            try
            {
                g = LoadGolden(request.WorkingDirectory, ws, null, null, specRequired: false);
            }
            catch (UseCaseException)
            {
                // No single spec in evals/: lint without cases.
            }
        }
        return PromptLinter.Lint(file, g?.Cases, g?.Spec);
    }

    /// <summary>The golden cases of <paramref name="golden"/>: an eval spec, a golden JSONL, or (null) the only spec in evals/.</summary>
    public static GoldenInput LoadGolden(string workingDirectory, Workspace? ws, string? golden, ChatModelResolver? resolver, bool specRequired)
    {
        if (golden is not null && golden.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            if (specRequired) throw new UseCaseException($"--golden {golden}: give an eval spec (golden set and graders), not a bare JSONL; 'hone eval init --from {golden}' writes one.");
            var p = Path.GetFullPath(Path.Combine(workingDirectory, golden));
            return new GoldenInput(null, GoldenSet.Load(p), p);
        }
        if (ws is null) throw new WorkspaceException("No Hone workspace here: run 'hone init', or give --golden FILE.jsonl.");
        string specPath;
        if (golden is not null) specPath = EvalWorkspace.FindSpec(ws, golden, workingDirectory);
        else
        {
            var specs = Directory.Exists(ws.EvalsDir)
                ? Directory.GetFiles(ws.EvalsDir, "*.y*ml").Where(f => !f.EndsWith(".graders.yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList() : [];
            if (specs.Count != 1)
                throw new UseCaseException($"Give --golden SPEC: {(specs.Count == 0 ? "evals/ has no spec ('hone eval init --from FILE' writes one)" : "evals/ has " + string.Join(", ", specs.Select(Path.GetFileName)))}.");
            specPath = specs[0];
        }
        var spec = resolver is null ? EvalSpec.Load(specPath) : EvalWorkspace.LoadSpec(specPath, resolver);
        return new GoldenInput(spec, GoldenSet.Load(spec.GoldenSetPath), spec.GoldenSetPath);
    }

    /// <summary>A case by id, or by 1-based position when no case has that id.</summary>
    public static GoldenCase FindCase(GoldenInput golden, string idOrIndex)
    {
        ArgumentNullException.ThrowIfNull(golden);
        if (golden.Cases.FirstOrDefault(c => c.Id == idOrIndex) is { } byId) return byId;
        if (int.TryParse(idOrIndex, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= golden.Cases.Count) return golden.Cases[n - 1];
        throw new UseCaseException($"--case {idOrIndex}: no case with that id, and not a position from 1 to {golden.Cases.Count} in {golden.Path}.");
    }

    /// <summary>Writes a prompt into the prompts folder without overwriting one (a number is added); returns the path.</summary>
    public static string WritePrompt(Workspace ws, string name, string yaml)
    {
        ArgumentNullException.ThrowIfNull(ws);
        Directory.CreateDirectory(ws.PromptsDir);
        var path = Path.Combine(ws.PromptsDir, name + ".yaml");
        for (int i = 2; File.Exists(path); i++) path = Path.Combine(ws.PromptsDir, $"{name}.{i}.yaml");
        AtomicFile.WriteAllText(path, yaml);
        return path;
    }
}

/// <summary>What <see cref="PromptBake.Run"/> is asked.</summary>
/// <param name="Prompt">A prompt file: a path, or a name in the workspace's prompts folder.</param>
/// <param name="Data">Training examples (OpenAI chat JSONL, at <paramref name="WorkingDirectory"/>; never modified).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Output">The output file, or null for DATA's name with .baked.jsonl.</param>
/// <param name="FewShot">Write the prompt's few-shot turns too.</param>
public sealed record PromptBakeRequest(string Prompt, string Data, string WorkingDirectory, string? Output = null, bool FewShot = true);

/// <summary>Use case "bake the best prompt into the training data": its system message and few-shot turns written into every example.</summary>
public static class PromptBake
{
    /// <summary>Bakes; the result says what changed.</summary>
    public static Hone.Prompting.Bake.BakeResult Run(PromptBakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var file = EvalWorkspace.LoadPrompt(Workspace.Find(request.WorkingDirectory), request.Prompt, request.WorkingDirectory);
        var input = At(request.Data);
        var outPath = request.Output is { } o ? At(o) : Path.Combine(Path.GetDirectoryName(input)!, Path.GetFileNameWithoutExtension(input) + ".baked.jsonl");
        return Hone.Prompting.Bake.DataBaker.Bake(new Hone.Prompting.Bake.BakeRequest(file, input, outPath, request.FewShot));
    }
}
