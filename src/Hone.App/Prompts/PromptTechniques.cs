using Hone.Evals.Runs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Techniques;

namespace Hone.App.Prompts;

/// <summary>What <see cref="PromptTechniques.VariantsAsync"/> is asked.</summary>
/// <param name="Common">The golden set, model and budget rule.</param>
/// <param name="Prompt">The prompt or chain file.</param>
public sealed record PromptVariantsRequest(PromptTechniqueRequest Common, string Prompt)
{
    /// <summary>Prompt or chain files of the user's own to compare too.</summary>
    public IReadOnlyList<string> Variants { get; init; } = [];

    /// <summary>Built-in variants to run besides direct, or null for all.</summary>
    public IReadOnlyList<string>? Only { get; init; }
}

/// <summary>What <see cref="PromptTechniques.BestOfAsync"/> is asked.</summary>
/// <param name="Common">The golden set, model and budget rule.</param>
/// <param name="Prompt">The prompt or chain file.</param>
/// <param name="N">Samples per case (2-16).</param>
/// <param name="Temperature">Sampling temperature of the samples.</param>
public sealed record PromptBestOfRequest(PromptTechniqueRequest Common, string Prompt, int N = 4, double Temperature = 0.8);

/// <summary>What <see cref="PromptTechniques.InduceAsync"/> is asked.</summary>
/// <param name="Common">The golden set, model and budget rule.</param>
/// <param name="GoldenConversations">Golden conversations (OpenAI chat JSONL, at the working directory).</param>
/// <param name="Prompt">The starting prompt, or null for the cases' own messages.</param>
/// <param name="MetaModel">The model that writes prompts, or null for the model.</param>
public sealed record PromptInduceRequest(PromptTechniqueRequest Common, string GoldenConversations, string? Prompt = null, string? MetaModel = null);

/// <summary>What <see cref="PromptTechniques.DebugAsync"/> is asked.</summary>
/// <param name="Common">The golden set, model and budget rule.</param>
/// <param name="Prompt">The prompt or chain file.</param>
/// <param name="Run">The eval run whose failing cases are debugged (id or unique prefix).</param>
/// <param name="HeldOut">Share of cases held out to judge the rewrite.</param>
/// <param name="MustPassTag">Cases with this tag must not regress.</param>
/// <param name="MetaModel">The model that writes prompts, or null for the model.</param>
public sealed record PromptDebugRequest(PromptTechniqueRequest Common, string Prompt, string Run, double HeldOut = 0.5, string MustPassTag = "must-pass",
    string? MetaModel = null);

/// <summary>What <see cref="PromptTechniques.OptimizeAsync"/> is asked.</summary>
/// <param name="Common">The golden set, model and budget rule.</param>
/// <param name="Prompt">The prompt or chain file.</param>
public sealed record PromptOptimizeRequest(PromptTechniqueRequest Common, string Prompt)
{
    /// <summary>Select-part accuracy that ends the search (0-1).</summary>
    public double Target { get; init; } = 1.0;

    /// <summary>Rounds of proposals at most.</summary>
    public int Rounds { get; init; } = 4;

    /// <summary>Proposals per round.</summary>
    public int Proposals { get; init; } = 2;

    /// <summary>Rounds without a better prompt before prompting is judged at its limit.</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Paid model calls at most, or null.</summary>
    public long? MaxCalls { get; init; }

    /// <summary>Dollars at most, or null.</summary>
    public decimal? MaxUsd { get; init; }

    /// <summary>The model that writes prompts, or null for the model.</summary>
    public string? MetaModel { get; init; }
}

/// <summary>
/// Use cases "find the best prompt" over a golden set: variants, best-of-N, induce, debug and optimize (Hone.Prompting's
/// techniques). Each estimates first (<c>onEstimate</c>) and refuses above the workspace's prompting budget without
/// <see cref="PromptTechniqueRequest.Yes"/>, then runs, writes a better prompt where there is one, and records a run of kind <c>prompt</c>.
/// </summary>
public static class PromptTechniques
{
    /// <summary>The prompt directly and as the built-in and the user's variants, compared pairwise with direct.</summary>
    public static async Task<PromptTechniqueResponse<VariantsResult>> VariantsAsync(PromptVariantsRequest request, Action<SpendEstimate>? onEstimate = null,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = PromptTechniqueSession.Open(request.Common);
        var file = s.LoadPrompt(request.Prompt);
        var builtIns = request.Only is { Count: > 0 } o ? o : null;
        foreach (var name in builtIns ?? [])
            if (!VariantBuilder.Names.Contains(name)) throw new UseCaseException($"--only {name}: built-in variants are {string.Join(", ", VariantBuilder.Names)}.");
        var r = new VariantsRequest(file, s.Cases, [.. request.Variants.Select(s.LoadPrompt)], builtIns, request.Common.Seed);
        var estimate = Variants.Estimate(r, s.Evaluator);
        s.Confirm(estimate, onEstimate);
        var result = await Variants.RunAsync(r, s.Evaluator, progress, ct).ConfigureAwait(false);
        return s.Respond("variants", file.Name, estimate, result);
    }

    /// <summary>N samples per case, then the model picks one.</summary>
    public static async Task<PromptTechniqueResponse<BestOfResult>> BestOfAsync(PromptBestOfRequest request, Action<SpendEstimate>? onEstimate = null,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = PromptTechniqueSession.Open(request.Common);
        var file = s.LoadPrompt(request.Prompt);
        var r = new BestOfRequest(file, s.Cases, request.N, request.Temperature, request.Common.Seed);
        r.Validate();
        var estimate = BestOf.Estimate(r, s.Evaluator);
        s.Confirm(estimate, onEstimate);
        var result = await BestOf.RunAsync(r, s.Evaluator, progress, ct).ConfigureAwait(false);
        return s.Respond("best-of", file.Name, estimate, result);
    }

    /// <summary>A meta-model writes a system prompt from golden conversations, validated on held-out cases; written as NAME.induced.</summary>
    public static async Task<PromptTechniqueResponse<InduceResult>> InduceAsync(PromptInduceRequest request, Action<SpendEstimate>? onEstimate = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = PromptTechniqueSession.Open(request.Common);
        var startFile = request.Prompt is { } sp ? s.LoadPrompt(sp) : null;
        var r = new InduceRequest(Path.GetFullPath(Path.Combine(request.Common.WorkingDirectory, request.GoldenConversations)), startFile, s.Cases, request.Common.Seed);
        var estimate = Induce.Estimate(r, s.Evaluator);
        s.Confirm(estimate, onEstimate);
        using var meta = s.MetaClient(request.MetaModel);
        var result = await Induce.RunAsync(r, s.Evaluator, s.Evaluator.Wrap(meta ?? s.ModelClient), ct).ConfigureAwait(false);
        var written = result.InducedYaml is { } y ? PromptFiles.WritePrompt(s.Workspace, (startFile?.Name ?? "prompt") + ".induced", y) : null;
        return s.Respond("induce", startFile?.Name ?? "(messages)", estimate, result) with { Written = written };
    }

    /// <summary>The failing cases of an eval run explained and the prompt rewritten; adopted (written as NAME.debugged) only with a significant held-out gain.</summary>
    public static async Task<PromptTechniqueResponse<DebugResult>> DebugAsync(PromptDebugRequest request, Action<SpendEstimate>? onEstimate = null,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = PromptTechniqueSession.Open(request.Common);
        var file = s.LoadPrompt(request.Prompt);
        var loaded = EvalRuns.Load(s.Store, request.Run);
        var r = new DebugRequest(file, loaded.Results, loaded.Run.Id, s.Cases, request.Common.Seed, request.HeldOut, request.MustPassTag);
        var estimate = Debug.Estimate(r, s.Evaluator);
        s.Confirm(estimate, onEstimate);
        using var meta = s.MetaClient(request.MetaModel);
        var result = await Debug.RunAsync(r, s.Evaluator, s.Evaluator.Wrap(meta ?? s.ModelClient), progress, ct).ConfigureAwait(false);
        var written = result.Adopted && result.RewriteYaml is { } y ? PromptFiles.WritePrompt(s.Workspace, file.Name + ".debugged", y) : null;
        return s.Respond("debug", file.Name, estimate, result) with
        {
            Written = written, Next = written is null ? null : $"hone eval SPEC --prompt {written}",
        };
    }

    /// <summary>Propose, evaluate, keep the best, repeat within a budget; the sealed test part read once; the best written as NAME.optimized, and the next step.</summary>
    public static async Task<PromptTechniqueResponse<OptimizeResult>> OptimizeAsync(PromptOptimizeRequest request, Action<SpendEstimate>? onEstimate = null,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = PromptTechniqueSession.Open(request.Common, new SpendLimit(request.MaxCalls, request.MaxUsd));
        var file = s.LoadPrompt(request.Prompt);
        var r = new OptimizeRequest
        {
            Prompt = file, Cases = s.Cases, Seed = request.Common.Seed, Target = request.Target, MaxRounds = request.Rounds,
            ProposalsPerRound = request.Proposals, Patience = request.Patience, MaxCalls = request.MaxCalls, MaxUsd = request.MaxUsd,
        };
        r.Validate();
        var estimate = Optimize.Estimate(r, s.Evaluator);
        s.Confirm(estimate, onEstimate);
        using var meta = s.MetaClient(request.MetaModel);
        var result = await Optimize.RunAsync(r, s.Evaluator, s.Evaluator.Wrap(meta ?? s.ModelClient), progress, ct).ConfigureAwait(false);
        var written = result.BestYaml is { } y ? PromptFiles.WritePrompt(s.Workspace, file.Name + ".optimized", y) : null;
        var best = written ?? file.SourcePath;
        var next = result.Verdict switch
        {
            OptimizeVerdict.TargetReached => $"hone eval {s.Golden.Spec!.Name} --prompt {best}",
            OptimizeVerdict.LimitReached => $"hone data bake {best} --data data/train.jsonl, then hone data check and hone train sft on the baked file",
            _ => "run the same command with a larger --max-calls/--max-usd/--rounds (answers so far come from the cache), or hone data bake " + best,
        };
        return s.Respond("optimize", file.Name, estimate, result) with { Written = written, Next = next };
    }
}
