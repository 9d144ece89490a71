using System.Text.Json.Nodes;
using Hone.Evals.Specs;
using Hone.Prompting.Files;

namespace Hone.Prompting.Rendering;

/// <summary>The variables one chain step sees: the case's fields and earlier steps' outputs, narrowed to its inputs when it lists them.</summary>
public static class StepVariables
{
    /// <summary>The variables of <paramref name="step"/> for case <paramref name="c"/> after the steps in <paramref name="outputs"/>.</summary>
    /// <exception cref="PromptFileException">An input is neither a field of the case nor an earlier step.</exception>
    public static Dictionary<string, JsonNode?> For(ChainStep step, GoldenCase c, IReadOnlyDictionary<string, JsonNode?> outputs, string caseLabel)
    {
        ArgumentNullException.ThrowIfNull(step);
        var all = PromptVariables.Of(c);
        foreach (var (k, v) in outputs)
        {
            if (all.ContainsKey(k) && k != PromptVariables.CaseKey)
                throw new PromptFileException(step.Prompt.SourcePath, step.Line, $"step '{k}' has the name of a field of {caseLabel}; rename the step.");
            all[k] = v?.DeepClone();
        }
        if (step.Inputs.Count == 0) return all;
        var narrowed = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var input in step.Inputs)
        {
            if (!all.TryGetValue(input, out var v))
                throw new PromptFileException(step.Prompt.SourcePath, step.Line,
                    $"step '{step.Name}': input '{input}' is neither a field of {caseLabel} nor an earlier step ({string.Join(", ", outputs.Keys)}).");
            narrowed[input] = v;
        }
        return narrowed;
    }
}
