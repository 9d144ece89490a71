using System.Text.Json;
using Hone.App.Evals;
using Hone.Evals.Runs;
using Hone.Evals.Specs;

namespace Hone.App.Tests;

public class EvalUseCaseTests
{
    internal static Hone.Store.Workspace WithSpec(string name)
    {
        var ws = AppTestData.NewWorkspace(name);
        File.WriteAllText(Path.Combine(ws.EvalsDir, "golden.jsonl"), string.Join("\n", Enumerable.Range(0, 3).Select(i =>
            JsonSerializer.Serialize(new { id = $"c{i}", q = $"Tell me a story about cat {i}.", a = "Once" }))));
        File.WriteAllText(Path.Combine(ws.EvalsDir, "story.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.a}}", operation: eq}
            max_tokens: 4
            seed: 1
            """);
        return ws;
    }

    internal static EvalRunRequest Request(Hone.Store.Workspace ws) => new()
    {
        Spec = "story", WorkingDirectory = ws.Root, Model = "local:" + AppTestData.Stories, Tokenizer = AppTestData.StoriesTokenizer, Template = "chatml",
    };

    [Fact]
    public async Task Eval_runs_a_spec_found_by_name_records_the_run_and_a_prompt_file_replaces_the_spec_prompt()
    {
        var ws = WithSpec("eval");
        var r = await EvalRun.RunAsync(Request(ws));
        var run = Assert.Single(r.Runs);
        Assert.Equal("story", r.Spec);
        Assert.Equal(3, run.Summary.Cases);
        Assert.Equal("skip", run.OnOverflow);
        Assert.False(r.HasProblems);
        using (var store = ws.OpenStore())
            Assert.Equal(EvalRunner.Kind, store.GetRun(run.RunId).Kind);
        var json = AppTestData.Json(r);
        Assert.Equal(run.RunId, json.GetProperty("runs")[0].GetProperty("run_id").GetString());
        Assert.False(json.TryGetProperty("results", out _));

        File.WriteAllText(Path.Combine(ws.PromptsDir, "terse.yaml"), "system: \"Answer in one word.\"\nuser: \"{{ q }}\"\n");
        var prompted = await EvalRun.RunAsync(Request(ws) with { Prompt = "terse" });
        Assert.NotEqual(run.RunId, prompted.Runs[0].RunId);
        Assert.All(prompted.Results[0].Results, c => Assert.Contains("Answer in one word.", c.Input!.Value.GetRawText(), StringComparison.Ordinal));
        Assert.All(r.Results[0].Results, c => Assert.DoesNotContain("Answer in one word.", c.Input!.Value.GetRawText(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Eval_without_any_model_or_spec_is_the_callers_error()
    {
        var ws = WithSpec("nomodel");
        await Assert.ThrowsAsync<UseCaseException>(() => EvalRun.RunAsync(Request(ws) with { Model = null }));
        await Assert.ThrowsAsync<EvalSpecException>(() => EvalRun.RunAsync(Request(ws) with { Spec = "missing" }));
        Assert.Equal(OverflowAction.TruncateStart, EvalRun.ParseOverflow("truncate-start"));
        Assert.Throws<UseCaseException>(() => EvalRun.ParseOverflow("wrap"));
        Assert.Equal("fail", EvalRun.OverflowName(EvalRun.ParseOverflow("fail")));
    }

    [Fact]
    public void Specs_and_prompts_are_found_as_given_or_by_name_in_the_workspace()
    {
        var ws = WithSpec("find");
        var spec = Path.Combine(ws.EvalsDir, "story.yaml");
        Assert.Equal(spec, EvalWorkspace.FindSpec(ws, "story", ws.Root));
        Assert.Equal(spec, EvalWorkspace.FindSpec(ws, "evals/story.yaml", ws.Root));
        Assert.Throws<EvalSpecException>(() => EvalWorkspace.FindSpec(ws, "other", ws.Root));
        File.WriteAllText(Path.Combine(ws.PromptsDir, "p.yml"), "system: \"S\"\n");
        Assert.Equal("S", EvalWorkspace.LoadPrompt(ws, "p", ws.Root).System!.Source);
    }
}
