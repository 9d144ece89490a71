using System.Text.Json;
using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Evals.Tests.Compare;
using Hone.Evals.Tests.Runs;

namespace Hone.Evals.Tests.EdgeCases;

public class EdgeCaseTests
{
    private static string[] Tags(int i) => i switch
    {
        < 3 => ["negation"],
        < 6 => ["long", "negation"],
        < 8 => ["units"],
        _ => [],
    };

    [Fact]
    public void Failing_cases_are_grouped_by_tag_and_tracked_against_an_earlier_run()
    {
        // Earlier run fails c0, c1, c6, c9; this run fails c0, c3, c4, c9.
        var before = RunComparisonTests.Run("OLD", i => i is not (0 or 1 or 6 or 9), cases: 10, tags: Tags);
        var now = RunComparisonTests.Run("NEW", i => i is not (0 or 3 or 4 or 9), cases: 10, tags: Tags);
        var report = EdgeCaseReport.Compute(now, before);

        Assert.Equal(["c0", "c3", "c4", "c9"], report.FailingCases);
        var negation = report.EdgeCases.Single(e => e.Name == "negation");
        Assert.Equal(6, negation.Cases);
        Assert.Equal(["c0", "c3", "c4"], negation.Failing);
        Assert.Equal(["c1"], negation.Fixed);
        Assert.Equal(["c3", "c4"], negation.Regressed);
        var units = report.EdgeCases.Single(e => e.Name == "units");
        Assert.Empty(units.Failing);
        Assert.Equal(["c6"], units.Fixed);
        Assert.Equal(["c9"], report.EdgeCases.Single(e => e.Name == EdgeCaseReport.Untagged).Failing);
        Assert.Equal("negation", report.EdgeCases[0].Name); // most failures first
    }

    [Fact]
    public void Without_an_earlier_run_only_failing_tags_are_listed()
    {
        var report = EdgeCaseReport.Compute(RunComparisonTests.Run("R", i => i != 7, cases: 10, tags: Tags));
        var only = Assert.Single(report.EdgeCases);
        Assert.Equal(("units", 2, "c7"), (only.Name, only.Cases, Assert.Single(only.Failing)));
        Assert.Empty(only.Fixed);
    }

    [Fact]
    public async Task Export_writes_the_failing_cases_as_training_examples_with_the_prompt_and_reference()
    {
        using var f = new EvalFixture();
        var client = CountingChatClient.Text((q, _) => q.Contains('*', StringComparison.Ordinal) ? "0" : EvalFixture.Solve(q));
        var result = await f.Runner.RunAsync(f.Options(), client);
        var run = EvalRuns.Load(f.Store, result.Run.Id);
        var path = Path.Combine(f.Dir, "edge.jsonl");
        var export = EdgeCaseExport.Write(path, run, EvalSpec.Load(f.SpecPath), referenceField: "answer");
        Assert.Equal((2, 2), (export.Cases, export.WithReference));
        var lines = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var msgs = lines[0].GetProperty("messages");
        Assert.Equal("Answer with the number only.", msgs[0].GetProperty("content").GetString());
        Assert.Equal("What is 9*9?", msgs[1].GetProperty("content").GetString());
        Assert.Equal("assistant", msgs[2].GetProperty("role").GetString());
        Assert.Equal("81", msgs[2].GetProperty("content").GetString());
        Assert.Equal("a4", lines[0].GetProperty("metadata").GetProperty("id").GetString());
        Assert.Equal("0", lines[0].GetProperty("metadata").GetProperty("model_output").GetString());

        var noRef = EdgeCaseExport.Write(path, run, EvalSpec.Load(f.SpecPath), tag: "negative");
        Assert.Equal(0, noRef.Cases); // a6 (the only 'negative' case) passed
        var e = Assert.Throws<EvalSpecException>(() => EdgeCaseExport.Write(path, run, EvalSpec.Load(f.SpecPath), referenceField: "nope"));
        Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Baseline_marks_one_run_per_spec()
    {
        using var f = new EvalFixture();
        var r1 = await f.Runner.RunAsync(f.Options(), CountingChatClient.Text((q, _) => EvalFixture.Solve(q)));
        var r2 = await f.Runner.RunAsync(f.Options(), CountingChatClient.Text((q, _) => EvalFixture.Solve(q)));
        Assert.Null(EvalRuns.MarkBaseline(f.Store, r1.Run.Id).Previous);
        Assert.Equal(r1.Run.Id, EvalRuns.FindBaseline(f.Store, "arith")!.Id);
        Assert.Equal(r1.Run.Id, EvalRuns.MarkBaseline(f.Store, r2.Run.Id).Previous!.Id);
        Assert.Equal(r2.Run.Id, EvalRuns.FindBaseline(f.Store, "arith")!.Id);
        Assert.Throws<Hone.Store.WorkspaceException>(() => EvalRuns.Load(f.Store, "eval-nope"));
    }
}
