using System.Text.Json;
using Hone.App.Models;
using Hone.Data.Samples;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Files;
using Hone.Prompting.Techniques;
using Hone.Store;

namespace Hone.App.Demo;

/// <summary>
/// The prompt stage of the demo, before fine-tuning: the task's prompt run directly and with one worked example (a
/// few-shot variant) on the first golden cases of the base model, compared as <c>hone prompt variants</c> does. It
/// writes the prompt files it uses (<c>prompts/orders.yaml</c>, <c>prompts/orders.one-shot.yaml</c>) so the same
/// comparison can be run again with the command.
/// </summary>
internal static class DemoPromptStage
{
    /// <summary>The answer limit of the demo prompts (the reference JSON is about 40 tokens).</summary>
    private const int MaxTokens = 48;

    public static async Task<VariantsResult> RunAsync(Workspace ws, LocalModel baseModel, OrderExtractionTask.Case shot, string specPath, int cases, CancellationToken ct)
    {
        var system = JsonSerializer.Serialize(OrderExtractionTask.SystemPrompt);
        var direct = Path.Combine(ws.PromptsDir, "orders.yaml");
        AtomicFile.WriteAllText(direct, $"system: {system}\nsampling: {{max_tokens: {MaxTokens}}}\n");
        var oneShot = Path.Combine(ws.PromptsDir, "orders.one-shot.yaml");
        AtomicFile.WriteAllText(oneShot, $"name: one-shot\nsystem: {system}\nfew_shot:\n  - user: {JsonSerializer.Serialize(shot.Sentence)}\n" +
            $"    assistant: {JsonSerializer.Serialize(shot.AnswerJson)}\nsampling: {{max_tokens: {MaxTokens}}}\n");
        var spec = EvalSpec.Load(specPath);
        var golden = GoldenSet.Load(spec.GoldenSetPath).Take(cases).ToList();
        using var client = baseModel.LoadClient();
        using var evaluator = new PromptEvaluator(client, new EvaluatorOptions { Spec = spec, Concurrency = 2, MaxRetries = 0 });
        var request = new VariantsRequest(PromptFileReader.Load(direct), golden, [PromptFileReader.Load(oneShot)], BuiltIns: []);
        return await Variants.RunAsync(request, evaluator, null, ct).ConfigureAwait(false);
    }
}
