using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Evals.Graders;
using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Files;
using Hone.Prompting.Rendering;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Execution;

/// <summary>A step of a chain failed (its model call); the case is attributed to it.</summary>
public sealed class ChainStepException : HoneException, ICaseStepError
{
    /// <summary>Creates the exception.</summary>
    public ChainStepException(string step, Exception inner) : base((inner as HoneException)?.Kind ?? ErrorKind.Internal, $"step '{step}': {inner?.Message}", new ErrorLocation(Field: step), inner) { Step = step; }

    /// <summary>Creates the exception.</summary>
    public ChainStepException() : base(ErrorKind.Internal, "A chain step failed.") { Step = ""; }

    /// <summary>Creates the exception.</summary>
    public ChainStepException(string message) : base(ErrorKind.Internal, message) { Step = ""; }

    /// <inheritdoc />
    public string Step { get; }
}

/// <summary>
/// Runs a prompt or chain file for one case (the <see cref="ICaseProgram"/> <c>hone eval --prompt</c> and every
/// technique use): each step renders its templates from the case's fields and earlier outputs, calls the model
/// (running its command or HTTP tools through Microsoft.Extensions.AI function invocation, up to
/// <see cref="PromptFile.MaxToolRounds"/> rounds), and must pass its gate before the next step runs. Every step's input,
/// output, tokens, cost and latency is recorded; a failed gate, a failed call or the tool-round cap names its step.
/// </summary>
public sealed class PromptProgram : ICaseProgram
{
    private readonly IReadOnlyList<ChainStep> _steps;
    private readonly string? _goldenPath;

    /// <summary>Creates the program; <paramref name="goldenPath"/> names the golden set in errors.</summary>
    public PromptProgram(PromptFile file, string? goldenPath = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        File = file;
        _goldenPath = goldenPath;
        _steps = file.IsChain ? file.Steps : [new ChainStep(file.Name, file, [], null, 0)];
    }

    /// <summary>The prompt or chain.</summary>
    public PromptFile File { get; }

    /// <inheritdoc />
    public string Name => File.Name;

    /// <inheritdoc />
    public string Identity => File.ContentHash;

    /// <summary>Model calls per case without tools (one per step).</summary>
    public int Steps => _steps.Count;

    /// <inheritdoc />
    public IReadOnlyList<ChatMessage> FirstRequest(GoldenCase c)
    {
        var label = PromptVariables.Label(c, _goldenPath);
        var vars = StepVariables.For(_steps[0], c, new Dictionary<string, JsonNode?>(), label);
        return PromptRenderer.Render(_steps[0].Prompt, vars, c.Messages, label).Messages;
    }

    /// <inheritdoc />
    public async Task<CaseAnswer> AnswerAsync(IChatClient client, GoldenCase c, ChatOptions defaults, int repeat, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(defaults);
        var label = PromptVariables.Label(c, _goldenPath);
        var outputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var traces = new List<StepTrace>();
        IReadOnlyList<ChatMessage>? firstInput = null;
        ChatResponse? last = null;
        string? failed = null;
        foreach (var step in _steps)
        {
            var meter = new StepMeter(client);
            var tools = ToolFunctions.For(step.Prompt);
            var runsTools = tools.Any(t => t is AIFunction);
            var rendered = PromptRenderer.Render(step.Prompt, StepVariables.For(step, c, outputs, label), c.Messages, label, tools);
            firstInput ??= rendered.Messages;
            var options = Merge(rendered.Options, defaults, step.Prompt.Sampling, repeat, c.Tools);
            IChatClient caller = runsTools
                ? new FunctionInvokingChatClient(meter) { MaximumIterationsPerRequest = step.Prompt.MaxToolRounds, IncludeDetailedErrors = true }
                : meter;
            ChatResponse r;
            try { r = await caller.GetResponseAsync(rendered.Messages, options, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                throw new ChainStepException(step.Name, e);
            }
            var final = runsTools ? new ChatResponse(r.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant) ?? new ChatMessage(ChatRole.Assistant, "")) { FinishReason = r.FinishReason } : r;
            var output = final.Text;
            string? error = null;
            if (runsTools && final.Messages[^1].Contents.OfType<FunctionCallContent>().Any())
                error = $"the model still called tools after {step.Prompt.MaxToolRounds} rounds (max_tool_rounds)";
            bool? gatePassed = null;
            if (error is null && step.Gate is { } gate)
            {
                var g = await gate.GradeAsync(new GradeContext(c.Item, GradeSample.FromChatResponse(final)), ct).ConfigureAwait(false);
                gatePassed = g.Pass && !g.IsError;
                if (gatePassed == false) error = $"gate {gate.Name} did not pass" + (g.Error is { } ge ? $": {ge}" : $" (score {g.Score:0.###})");
            }
            traces.Add(new StepTrace
            {
                Step = step.Name,
                Input = EvalPromptBuilder.ToJson(rendered.Messages),
                Output = output,
                ToolCalls = GradeSample.FromChatResponse(r).OutputTools,
                Calls = meter.Calls,
                InputTokens = meter.InputTokens,
                OutputTokens = meter.OutputTokens,
                CostUsd = meter.CostUsd,
                LatencyMs = meter.LatencyMs,
                CacheHit = meter.Calls > 0 && meter.AllCacheHits,
                FinishReason = meter.FinishReason,
                Gate = step.Gate?.Name,
                GatePassed = gatePassed,
                Error = error,
            });
            last = final;
            outputs[step.Name] = OutputValue(step.Prompt, output);
            if (error is not null)
            {
                failed = step.Name;
                break;
            }
        }
        return new CaseAnswer(Aggregate(last!, traces), firstInput!)
        {
            Steps = File.IsChain || traces.Any(t => t.Calls > 1) ? JsonSerializer.SerializeToElement(traces, CaseResult.JsonOptions) : null,
            FailedStep = failed,
            FinalStep = File.IsChain ? traces[^1].Step : null,
        };
    }

    /// <summary>The prompt's settings over the spec's: sampling the prompt sets wins; the case's own tools are added.</summary>
    internal static ChatOptions Merge(ChatOptions prompt, ChatOptions defaults, SamplingSettings s, int repeat, IReadOnlyList<AITool> caseTools)
    {
        var o = prompt.Clone();
        o.Temperature = s.Temperature is null ? defaults.Temperature : prompt.Temperature;
        o.MaxOutputTokens = s.MaxTokens ?? defaults.MaxOutputTokens;
        o.Seed = s.Seed is { } seed ? seed + repeat : defaults.Seed;
        o.AdditionalProperties = defaults.AdditionalProperties;
        if (caseTools.Count > 0) o.Tools = [.. o.Tools ?? [], .. caseTools.Where(t => o.Tools?.All(x => x.Name != t.Name) ?? true)];
        return o;
    }

    private static JsonNode? OutputValue(PromptFile prompt, string output)
    {
        if (prompt.ResponseFormat is not null)
        {
            try { return JsonNode.Parse(output); }
            catch (JsonException) { }
        }
        return JsonValue.Create(output);
    }

    private static ChatResponse Aggregate(ChatResponse last, IReadOnlyList<StepTrace> traces)
    {
        var props = new AdditionalPropertiesDictionary
        {
            [TimingChatClient.LatencyKey] = traces.Sum(t => t.LatencyMs),
            [ResponseCachingChatClient.CacheHitKey] = traces.All(t => t.CacheHit),
        };
        if (traces.Any(t => t.CostUsd is not null)) props[UsageTrackingChatClient.CostKey] = traces.Sum(t => t.CostUsd ?? 0);
        if (last.AdditionalProperties?.TryGetValue(ContextOverflow.PromptTokensDroppedKey, out var dropped) == true) props[ContextOverflow.PromptTokensDroppedKey] = dropped;
        return new ChatResponse([.. last.Messages])
        {
            FinishReason = last.FinishReason,
            Usage = new UsageDetails { InputTokenCount = traces.Sum(t => t.InputTokens), OutputTokenCount = traces.Sum(t => t.OutputTokens) },
            AdditionalProperties = props,
            ModelId = last.ModelId,
        };
    }
}
