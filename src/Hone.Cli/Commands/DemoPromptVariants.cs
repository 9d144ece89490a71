using System.Text.Json;
using Hone.Data.Samples;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Files;
using Hone.Prompting.Techniques;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// The prompt stage of <c>hone demo</c>, before fine-tuning: the task's prompt run directly and with one worked example
/// (a few-shot variant) on the first golden cases of the base model, compared as <c>hone prompt variants</c> does. It
/// writes the spec and prompt files it uses (<c>evals/orders.yaml</c>, <c>prompts/orders.yaml</c>,
/// <c>prompts/orders.one-shot.yaml</c>) so the same comparison can be run again with the command.
/// </summary>
internal static class DemoPromptVariants
{
    /// <summary>The answer limit of the demo prompts (the reference JSON is about 40 tokens).</summary>
    private const int MaxTokens = 48;

    public static VariantsResult Run(CliContext ctx, Workspace ws, string basePath, string? tokenizer, string? template, OrderExtractionTask.Case shot,
        string goldenPath, int cases, CancellationToken ct)
    {
        var specPath = Path.Combine(ws.EvalsDir, "orders.yaml");
        AtomicFile.WriteAllText(specPath, $"golden_set: {Path.GetRelativePath(ws.EvalsDir, goldenPath).Replace('\\', '/')}\ngraders:\n" +
            "  - {type: json_field_match, name: order_fields, input: \"{{sample.output_text}}\", reference: \"{{item.reference}}\", " +
            $"fields: [{string.Join(", ", OrderExtractionTask.Fields)}]}}\n");
        var system = JsonSerializer.Serialize(OrderExtractionTask.SystemPrompt);
        var direct = Path.Combine(ws.PromptsDir, "orders.yaml");
        AtomicFile.WriteAllText(direct, $"system: {system}\nsampling: {{max_tokens: {MaxTokens}}}\n");
        var oneShot = Path.Combine(ws.PromptsDir, "orders.one-shot.yaml");
        AtomicFile.WriteAllText(oneShot, $"name: one-shot\nsystem: {system}\nfew_shot:\n  - user: {JsonSerializer.Serialize(shot.Sentence)}\n" +
            $"    assistant: {JsonSerializer.Serialize(shot.AnswerJson)}\nsampling: {{max_tokens: {MaxTokens}}}\n");
        var spec = EvalSpec.Load(specPath);
        var golden = GoldenSet.Load(spec.GoldenSetPath).Take(cases).ToList();
        using var client = new LocalModel(basePath, tokenizer, template).LoadClient();
        using var evaluator = new PromptEvaluator(client, new EvaluatorOptions { Spec = spec, Concurrency = 2, MaxRetries = 0 });
        var request = new VariantsRequest(PromptFileReader.Load(direct), golden, [PromptFileReader.Load(oneShot)], BuiltIns: []);
        var r = Variants.RunAsync(request, evaluator, null, ct).GetAwaiter().GetResult();
        var one = r.Variants[^1];
        ctx.Console.MarkupLine($"[green]6b[/] prompt variants on the base model ({golden.Count} golden cases, as 'hone prompt variants orders --variant orders.one-shot'): " +
            $"direct {one.VsDirect!.AccuracyA:P0}, one-shot {one.Accuracy:P0} (Δ {one.VsDirect.Difference * 100:+0;-0;0} points, McNemar p {one.VsDirect.McNemarP:0.###}); " +
            $"recommended: {Markup.Escape(r.Recommended)}");
        return r;
    }
}
