using System.Text.Json;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Tests.Fakes;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Execution;

public class ChainExecutionTests
{
    private static (TestFiles Files, EvalSpec Spec, RunStore Store) Setup(string golden)
    {
        var t = new TestFiles();
        t.Write("golden.jsonl", golden);
        var spec = EvalSpec.Load(t.Write("spec.yaml", """
            golden_set: golden.jsonl
            graders:
              - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: eq}
            price: {input_per_1m: 1000000, output_per_1m: 0}
            """));
        return (t, spec, RunStore.Open(Path.Combine(t.Dir, "hone.db")));
    }

    private const string Chain = """
        name: outline-refine
        steps:
          - name: outline
            prompt: {user: "Outline {{ question }}"}
            inputs: [question]
            gate: {type: regex, pattern: "^PLAN"}
          - name: final
            prompt: {system: "Use the plan.", user: "{{ outline }} => answer {{ question }}"}
        """;

    [Fact]
    public async Task A_chain_runs_its_steps_in_order_records_each_and_a_failed_gate_names_its_step()
    {
        var (t, spec, store) = Setup("""
            {"id": "ok", "question": "q1", "answer": "A-q1"}
            {"id": "gated", "question": "bad", "answer": "x"}
            {"id": "wrong", "question": "q2", "answer": "B"}
            """);
        using var _ = store;
        var model = new ScriptedChatClient(m =>
        {
            var user = ScriptedChatClient.LastUser(m);
            if (user.StartsWith("Outline", StringComparison.Ordinal)) return user.EndsWith("bad", StringComparison.Ordinal) ? "no plan" : "PLAN for " + user[8..];
            return "A-" + user.Split(' ')[^1];
        });
        var program = new PromptProgram(PromptFileReader.Load(t.Write("chain.yaml", Chain)), spec.GoldenSetPath);
        var run = await new EvalRunner(store, Path.Combine(t.Dir, "runs")).RunAsync(new EvalRunOptions { Spec = spec, Model = "scripted:m", Program = program }, model);

        var ok = run.Results.Single(r => r.CaseId == "ok");
        Assert.True(ok.Pass);
        Assert.Null(ok.FailedStep);
        var steps = ok.Steps!.Value.EnumerateArray().ToList();
        Assert.Equal(["outline", "final"], steps.Select(s => s.GetProperty("step").GetString()));
        Assert.Equal("PLAN for q1", steps[0].GetProperty("output").GetString());
        Assert.Contains("PLAN for q1 => answer q1", steps[1].GetProperty("input")[1].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.True(steps[0].GetProperty("gate_passed").GetBoolean());
        Assert.Equal(20, ok.InputTokens);   // both steps' tokens
        Assert.Equal(20m, ok.CostUsd);      // at $1 per input token

        var gated = run.Results.Single(r => r.CaseId == "gated");
        Assert.False(gated.Pass);
        Assert.Equal("outline", gated.FailedStep);
        Assert.Single(gated.Steps!.Value.EnumerateArray()); // the chain stopped at the gate
        var wrong = run.Results.Single(r => r.CaseId == "wrong");
        Assert.False(wrong.Pass);
        Assert.Equal("final", wrong.FailedStep);   // the chain ran through; its answer failed the graders
        Assert.Equal(5, model.Calls);
        Assert.Equal("outline-refine", store.GetTags(run.Run.Id)["eval.prompt"]);
    }

    [Fact]
    public async Task A_failed_call_is_attributed_to_its_step()
    {
        var (t, spec, store) = Setup("""{"id": "c", "question": "q", "answer": "a"}""");
        using var _ = store;
        var model = new ScriptedChatClient((m, _) => ScriptedChatClient.LastUser(m).StartsWith("Outline", StringComparison.Ordinal)
            ? ScriptedChatClient.Reply("PLAN") : throw new InvalidOperationException("endpoint down"));
        var program = new PromptProgram(PromptFileReader.Load(t.Write("chain.yaml", Chain)));
        var run = await new EvalRunner(store, Path.Combine(t.Dir, "runs")).RunAsync(new EvalRunOptions { Spec = spec, Model = "m", Program = program, MaxRetries = 0 }, model);
        var r = Assert.Single(run.Results);
        Assert.Equal(SampleStatus.Error, r.Status);
        Assert.Equal("final", r.FailedStep);
        Assert.Contains("step 'final': endpoint down", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_tools_run_and_feed_their_result_back_and_the_round_cap_ends_a_loop()
    {
        var (t, spec, store) = Setup("""{"id": "c", "question": "apple", "answer": "stock of apple: {\"q\":\"apple\"}"}""");
        using var _ = store;
        t.Write("tools.yaml", """
            user: "How many {{ question }}?"
            tools:
              - name: stock
                parameters: {type: object, properties: {q: {type: string}}}
                command: [cat]
                timeout_seconds: 10
            max_tool_rounds: 3
            """);
        var model = new ScriptedChatClient((m, _) =>
        {
            var result = m.SelectMany(x => x.Contents).OfType<FunctionResultContent>().LastOrDefault();
            if (result is null)
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call1", "stock", new Dictionary<string, object?> { ["q"] = "apple" })]));
            return ScriptedChatClient.Reply("stock of apple: " + result.Result);
        });
        var program = new PromptProgram(PromptFileReader.Load(Path.Combine(t.Dir, "tools.yaml")));
        var run = await new EvalRunner(store, Path.Combine(t.Dir, "runs")).RunAsync(new EvalRunOptions { Spec = spec, Model = "m", Program = program }, model);
        var r = Assert.Single(run.Results);
        Assert.True(r.Pass, r.Output);
        var step = r.Steps!.Value[0];
        Assert.Equal(2, step.GetProperty("calls").GetInt32());
        Assert.Equal("stock", step.GetProperty("tool_calls")[0].GetProperty("name").GetString());

        // A model that never stops calling tools is cut at max_tool_rounds, and the case names the step.
        var looping = new ScriptedChatClient((m, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("c" + m.Count, "stock", new Dictionary<string, object?> { ["q"] = "x" })])));
        var loopRun = await new EvalRunner(store, Path.Combine(t.Dir, "runs")).RunAsync(new EvalRunOptions { Spec = spec, Model = "loop", Program = program, UseCache = false }, looping);
        var l = Assert.Single(loopRun.Results);
        Assert.False(l.Pass);
        Assert.Equal("tools", l.FailedStep);
        Assert.Contains("max_tool_rounds", l.Steps!.Value[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, looping.Calls); // three rounds that ran the tool, then the last answer
    }
}
