namespace Hone.Prompting.Tests.Cli;

public class PromptShowLintCommandTests
{
    private static TestFiles Workspace()
    {
        var t = new TestFiles();
        Assert.Equal(0, Hone.Run(t.Dir, "init").ExitCode);
        foreach (var f in Directory.GetFiles(Path.Combine(t.Dir, "evals"))) File.Delete(f);
        t.Write("evals/golden.jsonl", """
            {"id": "a", "question": "What is two plus two, written as a digit please", "answer": "4"}
            {"id": "b", "question": "What is three plus four, written as a digit please", "answer": "7"}
            """);
        t.Write("evals/arith.yaml", "golden_set: golden.jsonl\ngraders:\n  - {type: string_check, input: \"{{sample.output_text}}\", reference: \"{{item.answer}}\", operation: eq}\n");
        t.Write("prompts/direct.yaml", "system: Answer with a digit.\nuser: \"{{ question }}\"\n");
        return t;
    }

    [Fact]
    public void Show_renders_a_case_by_id_or_position()
    {
        var t = Workspace();
        var r = Hone.Run(t.Dir, "prompt", "show", "direct", "--case", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var step = r.Json.GetProperty("steps")[0];
        Assert.Equal("b", r.Json.GetProperty("case_id").GetString());
        Assert.Equal("What is three plus four, written as a digit please", step.GetProperty("messages")[1].GetProperty("content").GetString());
        t.Write("prompts/chain.yaml", "steps:\n  - {name: plan, prompt: direct.yaml}\n  - name: final\n    prompt: {user: \"{{ plan }} / {{ question }}\"}\n    gate: {type: json_valid}\n");
        var chain = Hone.Run(t.Dir, "prompt", "show", "chain", "--json");
        Assert.True(chain.ExitCode == 0, chain.Stderr);
        Assert.True(chain.Json.GetProperty("is_chain").GetBoolean());
        Assert.Equal("«output of step plan» / What is two plus two, written as a digit please",
            chain.Json.GetProperty("steps")[1].GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("json_valid", chain.Json.GetProperty("steps")[1].GetProperty("gate").GetString());
        var human = Hone.Run(t.Dir, "prompt", "show", "prompts/direct.yaml", "--case", "a", "--golden", "arith");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains("two plus two", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_prompt_file_exits_2_naming_file_and_line()
    {
        var t = Workspace();
        var path = t.Write("prompts/bad.yaml", "system: ok\nuser: \"{{ questoin }}\"\n");
        var r = Hone.Run(t.Dir, "prompt", "show", "bad", "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{path}:2:", r.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("'questoin'", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Hone.Run(t.Dir, "prompt", "show", "direct", "--case", "9").ExitCode);
    }

    [Fact]
    public void Lint_exits_1_on_findings_and_0_when_clean()
    {
        var t = Workspace();
        Assert.Equal(0, Hone.Run(t.Dir, "prompt", "lint", "direct").ExitCode);
        t.Write("prompts/leaky.yaml", "user: \"{{ question }}\"\nfew_shot:\n  - {user: \"What is two plus two, written as a digit please\", assistant: \"4\"}\n");
        var r = Hone.Run(t.Dir, "prompt", "lint", "leaky", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("few-shot-leak", r.Json.GetProperty("findings")[0].GetProperty("code").GetString());
        Assert.Contains("--json", Hone.Run(t.Dir, "prompt", "lint", "--help").Stdout, StringComparison.Ordinal);
    }
}
