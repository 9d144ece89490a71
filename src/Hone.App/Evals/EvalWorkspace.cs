using Hone.App.Models;
using Hone.Evals.Graders.Config;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Models.Chat;
using Hone.Prompting.Files;
using Hone.Store;

namespace Hone.App.Evals;

/// <summary>
/// How use cases find what an eval names in a workspace: models (hone.yaml providers and <c>local:DIR</c>), specs in
/// <c>evals/</c>, prompt files in <c>prompts/</c>, and the spec a run was made from.
/// </summary>
public static class EvalWorkspace
{
    /// <summary>
    /// The resolver for model names: hone.yaml providers, and <c>local:DIR</c> loaded in-process. With
    /// <paramref name="store"/>, local models are identified by content (weights, tokenizer, chat template), their file
    /// hashes remembered in the store, so the response cache never serves one model's answers to another.
    /// </summary>
    /// <param name="ws">The workspace (its providers).</param>
    /// <param name="template">A built-in chat template for local models that have none (<c>--template</c>).</param>
    /// <param name="store">The run store remembering file hashes; null: local models are not identified by content.</param>
    /// <param name="resolvePath">Anchors a relative <c>local:DIR</c> (at the caller's working directory).</param>
    /// <param name="tokenizer">A tokenizer for local models without one beside them (already resolved).</param>
    public static ChatModelResolver Resolver(Workspace ws, string? template, RunStore? store = null, Func<string, string>? resolvePath = null,
        string? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(ws);
        return new(ws.Config, dir => new LocalModel(resolvePath?.Invoke(dir) ?? dir, tokenizer, template).LoadClient(new LocalChatClientOptions
        {
            IdentifyByContent = store is not null,
            FileHashMemo = store is null ? null : new StoreFileHashMemo(store),
        }))
        {
            RunFactory = reference => RunModel(reference, store, resolvePath),
        };
    }

    /// <summary>
    /// <c>run:RUN[@EPOCH]</c>: the run folder (relative to the caller's working directory) or a run id of the store, its best
    /// checkpoint by golden-set score when it has one, else its newest (or the epoch named), applied in process.
    /// </summary>
    public static Microsoft.Extensions.AI.IChatClient RunModel(string reference, RunStore? store, Func<string, string>? resolvePath)
    {
        var (run, epoch) = Hone.Training.Export.RunChatClient.Parse(reference);
        var folder = resolvePath?.Invoke(run) ?? Path.GetFullPath(run);
        if (!Directory.Exists(folder))
            folder = store?.FindRun(run)?.Folder ?? throw new UseCaseException($"run:{reference}: '{run}' is neither a run folder nor a run id of this workspace.");
        return Hone.Training.Export.RunChatClient.Load(folder, epoch);
    }

    /// <summary>Finds a spec: <paramref name="spec"/> resolved at <paramref name="workingDirectory"/>, else in the workspace's evals folder.</summary>
    public static string FindSpec(Workspace ws, string spec, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var path = Path.GetFullPath(Path.Combine(workingDirectory, spec));
        if (File.Exists(path)) return path;
        foreach (var candidate in new[] { spec, spec + ".yaml", spec + ".yml" })
        {
            var inEvals = Path.Combine(ws.EvalsDir, candidate);
            if (File.Exists(inEvals)) return inEvals;
        }
        throw new EvalSpecException($"{path}: eval spec not found (also looked in {ws.EvalsDir}).");
    }

    /// <summary>Loads a spec with model graders served by the same resolver.</summary>
    public static EvalSpec LoadSpec(string path, ChatModelResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return EvalSpec.Load(path, new GraderEnvironment { JudgeClient = resolver.Resolve });
    }

    /// <summary>Loads the spec a run was made from (its path is recorded in the run's options).</summary>
    public static EvalSpec SpecOfRun(RunRecord run, ChatModelResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var doc = System.Text.Json.JsonDocument.Parse(run.OptionsJson);
        var path = doc.RootElement.TryGetProperty("spec", out var s) ? s.GetString() : null;
        if (path is null || !File.Exists(path))
            throw new EvalSpecException($"Run '{run.Id}' was made from the spec '{path}', which no longer exists.");
        return LoadSpec(path, resolver);
    }

    /// <summary>Finds a prompt file: <paramref name="name"/> resolved at <paramref name="workingDirectory"/>, else in the workspace's prompts folder (with .yaml or .yml added).</summary>
    public static PromptFile LoadPrompt(Workspace? ws, string name, string workingDirectory, ChatModelResolver? resolver = null)
    {
        var path = Path.GetFullPath(Path.Combine(workingDirectory, name));
        if (!File.Exists(path) && ws is not null)
            path = new[] { name, name + ".yaml", name + ".yml" }.Select(n => Path.Combine(ws.PromptsDir, n)).FirstOrDefault(File.Exists) ?? path;
        return PromptFileReader.Load(path, resolver is null ? null : new GraderEnvironment { JudgeClient = resolver.Resolve });
    }
}
