using Hone.Prompting.Files;

namespace Hone.Prompting.Techniques;

/// <summary>
/// The built-in variants of a prompt, each a chain over the prompt's own templates: <c>direct</c> (the prompt),
/// <c>step-by-step</c> (zero-shot chain of thought, Kojima et al. 2022: reason, then extract the answer),
/// <c>plan-and-solve</c> (Wang et al. 2023: understand, plan, carry out, then extract), <c>critique-and-revise</c>
/// (answer, critique it, give the revised answer). Reasoning steps have no response format or tools; the last step keeps
/// the prompt's. Instructions go into the system message, so prompts that send the case's own messages work too.
/// </summary>
public static class VariantBuilder
{
    /// <summary>The built-in variant names, in order.</summary>
    public static readonly IReadOnlyList<string> Names = ["direct", "step-by-step", "plan-and-solve", "critique-and-revise"];

    private const string Extract = "\n\nReply with only the final answer, exactly in the format the instructions ask for, and nothing else.";

    /// <summary>Builds the variant <paramref name="name"/> of <paramref name="p"/> (a single prompt).</summary>
    public static PromptFile Build(PromptFile p, string name)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.IsChain) throw new PromptFileException(p.SourcePath, 0, "variants are built from a single prompt; a chain is itself a variant (give it with --variant).");
        return name switch
        {
            "direct" => p with { Name = "direct" },
            "step-by-step" => Chain(p, name,
                ("variant_reasoning", Reasoning(p, "\n\nThink through the task step by step. Write out your reasoning, then state the answer.")),
                ("variant_answer", Step(p, "\n\nCareful reasoning about this task:\n{{ variant_reasoning }}" + Extract, final: true))),
            "plan-and-solve" => Chain(p, name,
                ("variant_reasoning", Reasoning(p, "\n\nFirst understand the task and devise a plan to solve it. Then carry out the plan and solve it step by step, " +
                    "paying attention to every detail the instructions ask for. Then state the answer.")),
                ("variant_answer", Step(p, "\n\nA plan and its execution for this task:\n{{ variant_reasoning }}" + Extract, final: true))),
            "critique-and-revise" => Chain(p, name,
                ("variant_draft", p with { Name = "variant_draft" }),
                ("variant_critique", Reasoning(p, "\n\nA draft answer to this task:\n{{ variant_draft }}\n\nCritique the draft against the instructions: list every error or " +
                    "omission. Do not rewrite it.")),
                ("variant_revised", Step(p, "\n\nDraft answer:\n{{ variant_draft }}\n\nCritique of the draft:\n{{ variant_critique }}\n\nWrite the corrected answer." + Extract, final: true))),
            _ => throw new ArgumentException($"unknown variant '{name}'; built-in variants: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>Model calls per case of a variant (without tools).</summary>
    public static int CallsPerCase(PromptFile variant) => variant is null ? 0 : variant.IsChain ? variant.Steps.Count : 1;

    private static PromptFile Reasoning(PromptFile p, string instruction) =>
        Step(p, instruction, final: false) with { Sampling = p.Sampling with { MaxTokens = p.Sampling.MaxTokens * 4, Stop = [] } }; // room to reason: 4× the answer's limit

    private static PromptFile Step(PromptFile p, string instruction, bool final)
    {
        var source = (p.System?.Source.TrimEnd() ?? "") + instruction;
        var system = PromptTemplate.Parse(source, p.SourcePath, p.System?.FirstLine ?? 1, "system");
        return final ? p with { System = system } : p with { System = system, ResponseFormat = null, Tools = [] };
    }

    private static PromptFile Chain(PromptFile p, string name, params (string Step, PromptFile Prompt)[] steps) => new()
    {
        Name = name,
        SourcePath = p.SourcePath,
        ContentHash = p.ContentHash + ":" + name,
        Steps = [.. steps.Select(s => new ChainStep(s.Step, s.Prompt with { Name = s.Step }, [], null, 0))],
    };
}
