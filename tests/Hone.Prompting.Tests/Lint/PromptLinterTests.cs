using Hone.Prompting.Files;
using Hone.Prompting.Lint;

namespace Hone.Prompting.Tests.Lint;

public class PromptLinterTests
{
    private static readonly string[] Golden =
    [
        """{"id": "g1", "question": "The quick brown fox jumps over the lazy dog near the river bank today", "answer": "yes"}""",
        """{"id": "g2", "question": "What is the capital city of France and why is it famous", "answer": "Paris"}""",
    ];

    [Fact]
    public void Finds_undefined_variables_empty_sections_and_leaking_examples()
    {
        var t = new TestFiles();
        var p = PromptFileReader.Load(t.Write("p.yaml", """
            system: ""
            user: "{{ question }} {{ context }}"
            few_shot:
              - user: "What is the capital city of France, and why is it famous?"
                assistant: Paris
              - user: "The quick brown fox jumps over the lazy dog near the river bank yesterday"
                assistant: "yes"
              - user: "Is water wet"
                assistant: "yes"
            tools: []
            """));
        var r = PromptLinter.Lint(p, TestFiles.Cases(Golden));
        var codes = r.Findings.Select(f => (f.Code, f.Line)).ToList();
        Assert.Contains(("undefined-variable", 2), codes);
        Assert.Contains(("few-shot-leak", 4), codes);        // equal after normalisation (case, punctuation)
        Assert.Contains(("few-shot-near-leak", 6), codes);   // one word differs
        Assert.Contains(("empty-section", 1), codes);
        Assert.Contains(("empty-section", 10), codes);
        Assert.DoesNotContain(r.Findings, f => f.Line == 8); // an unrelated example is fine
        Assert.Contains("'context'", r.Findings.First(f => f.Code == "undefined-variable").Message, StringComparison.Ordinal);
        Assert.True(r.HasProblems);
    }

    [Fact]
    public void A_clean_prompt_has_no_problems_and_a_chain_checks_its_inputs()
    {
        var t = new TestFiles();
        var clean = PromptFileReader.Load(t.Write("clean.yaml", "system: Answer briefly.\nuser: \"{{ question }}\"\n"));
        Assert.False(PromptLinter.Lint(clean, TestFiles.Cases(Golden)).HasProblems);

        var chain = PromptFileReader.Load(t.Write("chain.yaml", """
            steps:
              - name: outline
                prompt: {user: "Outline: {{ question }}"}
                inputs: [question, answer]
              - name: final
                prompt: {user: "{{ outline }} {{ question }}"}
                inputs: [outline]
            """));
        var r = PromptLinter.Lint(chain, TestFiles.Cases(Golden));
        Assert.Contains(r.Findings, f => f.Code == "unused-input" && f.Message.Contains("'answer'", StringComparison.Ordinal));
        Assert.Contains(r.Findings, f => f.Code == "undefined-variable" && f.Message.Contains("'question'", StringComparison.Ordinal) && f.Line == 6);
        Assert.DoesNotContain(r.Findings, f => f.Message.Contains("reads 'outline'", StringComparison.Ordinal));
    }
}
