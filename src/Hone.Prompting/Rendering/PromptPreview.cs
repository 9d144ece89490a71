using System.Text.Json.Nodes;
using Hone.Evals.Specs;
using Hone.Prompting.Files;

namespace Hone.Prompting.Rendering;

/// <summary>One message of a preview.</summary>
/// <param name="Role">system, user or assistant.</param>
/// <param name="Content">The rendered text.</param>
public sealed record PreviewMessage(string Role, string Content);

/// <summary>One step of a preview (a single prompt has one).</summary>
/// <param name="Step">The step's name (the prompt's name for a single prompt).</param>
/// <param name="Messages">What is sent.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="MaxTokens">Completion limit, if any.</param>
/// <param name="ResponseFormat">The JSON schema's name, if any.</param>
/// <param name="Tools">Tools offered (name and kind: declared, command, http).</param>
/// <param name="Gate">The gate grader's name, if any.</param>
public sealed record PreviewStep(string Step, IReadOnlyList<PreviewMessage> Messages, double Temperature, int? MaxTokens, string? ResponseFormat,
    IReadOnlyList<string> Tools, string? Gate);

/// <summary>The result of <c>hone prompt show</c>: a prompt rendered for one case.</summary>
/// <param name="Prompt">The prompt's name.</param>
/// <param name="File">Its file.</param>
/// <param name="CaseId">The case rendered.</param>
/// <param name="IsChain">True for a chain (later steps show earlier outputs as placeholders).</param>
/// <param name="Steps">Each step's request.</param>
public sealed record PromptPreviewResult(string Prompt, string File, string CaseId, bool IsChain, IReadOnlyList<PreviewStep> Steps);

/// <summary>Renders a prompt or chain for one case, as <c>hone prompt show</c> prints it.</summary>
public static class PromptPreview
{
    /// <summary>The preview of <paramref name="file"/> for <paramref name="c"/>.</summary>
    public static PromptPreviewResult Render(PromptFile file, GoldenCase c, string? goldenPath)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(c);
        var label = PromptVariables.Label(c, goldenPath);
        var steps = new List<PreviewStep>();
        var outputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var step in file.IsChain ? file.Steps : [new ChainStep(file.Name, file, [], null, 0)])
        {
            var vars = StepVariables.For(step, c, outputs, label);
            var r = PromptRenderer.Render(step.Prompt, vars, c.Messages, label);
            steps.Add(new PreviewStep(step.Name, [.. r.Messages.Select(m => new PreviewMessage(m.Role.Value, m.Text))], r.Options.Temperature ?? 0,
                r.Options.MaxOutputTokens, step.Prompt.ResponseFormat?.Name,
                [.. step.Prompt.Tools.Select(t => $"{t.Name} ({t switch { CommandTool => "command", HttpTool => "http", _ => "declared" }})")],
                step.Gate?.Name));
            outputs[step.Name] = JsonValue.Create($"«output of step {step.Name}»");
        }
        return new PromptPreviewResult(file.Name, file.SourcePath, c.Id, file.IsChain, steps);
    }
}
