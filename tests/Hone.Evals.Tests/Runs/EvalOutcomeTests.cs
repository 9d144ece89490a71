using Hone.Evals.Runs;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

/// <summary>Grader errors apart from failures, the primary metric, per-class reports and finish reasons.</summary>
public class EvalOutcomeTests
{
    private const string LabelGolden = """
        {"id": "w1", "text": "Election results are in", "label": "World"}
        {"id": "w2", "text": "Summit ends without a deal", "label": "World"}
        {"id": "w3", "text": "Ceasefire holds for a week", "label": "World"}
        {"id": "s1", "text": "Local team wins the cup", "label": "Sports"}
        {"id": "s2", "text": "Striker signs a new contract", "label": "Sports"}
        {"id": "s3", "text": "Marathon record falls", "label": "Sports"}
        """;

    private static string LabelSpec(string extra = "") => """
        name: news
        golden_set: golden.jsonl
        prompt:
          template: "{{item.text}}"
        graders:
          - type: string_check
            name: exact
            input: "{{sample.output_text}}"
            reference: "{{item.label}}"
            operation: eq

        """ + extra;

    // Says World for everything except "Marathon record falls" (Sports) and calls the cup final "Business".
    private static CountingChatClient Labeller() => CountingChatClient.Text((q, _) =>
        q.Contains("Marathon", StringComparison.Ordinal) ? "Sports" : q.Contains("cup", StringComparison.Ordinal) ? "Business" : "World");

    [Fact]
    public async Task Grader_errors_are_counted_apart_and_left_out_of_the_accuracy()
    {
        // The spec: every case hits "item has no field 'reference'".
        using var f = new EvalFixture(EvalFixture.Spec.Replace("{{item.answer}}", "{{item.reference}}", StringComparison.Ordinal));
        var r = await f.Runner.RunAsync(f.Options(), CountingChatClient.Text((q, _) => EvalFixture.Solve(q)));
        Assert.Equal(6, r.Summary.GraderErrors);
        Assert.Equal(0, r.Summary.Graded);
        Assert.Equal(0, r.Summary.Passed);
        Assert.Equal(6, r.Summary.Graders.Single().Errors);
        Assert.Equal(0, r.Summary.Graders.Single().Graded);
        Assert.Equal(0, r.Summary.ModelErrors);
        Assert.Contains("no field 'reference'", r.Results[0].Grades[0].Error, StringComparison.Ordinal);
        Assert.Equal(6.0, f.Store.GetMetric(r.Run.Id, "grader_errors").Single().Value);
    }

    [Fact]
    public async Task With_errors_on_some_cases_the_accuracy_is_over_the_graded_ones()
    {
        // a4 and a5 lack the field the second grader reads; everything is answered right.
        var golden = EvalFixture.Golden.Replace("\"answer\": \"81\"", "\"answer\": \"81\", \"note\": \"x\"", StringComparison.Ordinal);
        var spec = EvalFixture.Spec.Replace("concurrency: 2", """
              - type: string_check
                name: noted
                input: "{{item.note}}"
                reference: "x"
                operation: eq
            concurrency: 2
            """, StringComparison.Ordinal);
        using var f = new EvalFixture(spec, golden);
        var r = await f.Runner.RunAsync(f.Options(), CountingChatClient.Text((q, _) => EvalFixture.Solve(q)));
        // Only a4 has the note: five samples have a grader error, one is graded and passes.
        Assert.Equal(5, r.Summary.GraderErrors);
        Assert.Equal(1, r.Summary.Graded);
        Assert.Equal(1.0, r.Summary.Accuracy);
        Assert.Equal(6, r.Summary.Graders[0].Graded);
        Assert.Equal(1.0, r.Summary.Graders[0].PassRate);
    }

    [Fact]
    public async Task The_primary_metric_is_the_headline_and_other_graders_errors_do_not_change_it()
    {
        var spec = EvalFixture.Spec.Replace("concurrency: 2", """
              - type: string_check
                name: broken
                input: "{{item.missing}}"
                reference: "x"
                operation: eq
            primary_metric: exact
            concurrency: 2
            """, StringComparison.Ordinal);
        using var f = new EvalFixture(spec);
        var wrongOnMul = CountingChatClient.Text((q, _) => q.Contains('*', StringComparison.Ordinal) ? "0" : EvalFixture.Solve(q));
        var r = await f.Runner.RunAsync(f.Options(), wrongOnMul);
        Assert.Equal("exact", r.Summary.PrimaryMetric);
        Assert.Equal(6, r.Summary.Graded);
        Assert.Equal(4, r.Summary.Passed);
        Assert.Equal(4 / 6.0, r.Summary.Accuracy, 12);
        Assert.Equal(6, r.Summary.GraderErrors); // still reported: 'broken' erred everywhere
        Assert.True(r.Results.Single(x => x.CaseId == "a1").Pass); // the case passes on the primary metric
    }

    [Fact]
    public void An_unknown_primary_metric_is_an_error_naming_the_graders()
    {
        using var f = new EvalFixture(EvalFixture.Spec + "\nprimary_metric: exactt\n");
        var e = Assert.Throws<Hone.Evals.Specs.EvalSpecException>(() => f.Options());
        Assert.Contains("primary_metric 'exactt'", e.Message, StringComparison.Ordinal);
        Assert.Contains("graders: exact", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_graders_get_per_class_accuracy_and_a_confusion_matrix()
    {
        using var f = new EvalFixture(LabelSpec(), LabelGolden);
        var r = await f.Runner.RunAsync(f.Options(), Labeller());
        var cls = Assert.Single(r.Summary.Classification);
        Assert.Equal("exact", cls.Grader);
        Assert.Equal(["Sports", "World"], cls.Classes.Select(c => c.Label));
        Assert.Equal(["Sports", "World", "(other)"], cls.Columns);
        // Sports: s3 right, s1 predicted Business (other), s2 predicted World. World: all three right.
        Assert.Equal([1, 1, 1], cls.Confusion[0]);
        Assert.Equal([0, 3, 0], cls.Confusion[1]);
        Assert.Equal(1 / 3.0, cls.Classes[0].Accuracy, 12);
        Assert.Equal(1.0, cls.Classes[1].Accuracy, 12);
        // World: precision 3/4, recall 1, F1 6/7; Sports: precision 1, recall 1/3, F1 1/2.
        Assert.Equal((6 / 7.0 + 0.5) / 2, cls.MacroF1, 12);
    }

    [Fact]
    public async Task Free_answers_are_not_taken_for_labels()
    {
        using var f = new EvalFixture();
        var r = await f.Runner.RunAsync(f.Options(), CountingChatClient.Text((q, _) => EvalFixture.Solve(q)));
        Assert.Empty(r.Summary.Classification); // six cases, six different answers
    }

    [Fact]
    public async Task Outputs_that_ended_on_their_own_and_at_the_token_limit_are_counted()
    {
        using var f = new EvalFixture();
        var client = new CountingChatClient((m, _, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, EvalFixture.Solve(m[^1].Text)))
        {
            FinishReason = m[^1].Text.Contains('*', StringComparison.Ordinal) ? ChatFinishReason.Length : ChatFinishReason.Stop,
        }));
        var r = await f.Runner.RunAsync(f.Options(), client);
        Assert.Equal(2, r.Summary.HitTokenLimit); // the two multiplications
        Assert.Equal(4, r.Summary.EndedOnOwn);
        Assert.Equal("length", r.Results.Single(x => x.CaseId == "a4").FinishReason);
        Assert.Equal("stop", r.Results.Single(x => x.CaseId == "a1").FinishReason);
    }
}
