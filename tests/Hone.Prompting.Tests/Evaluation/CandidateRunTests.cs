using Hone.Evals.Runs;
using Hone.Prompting.Evaluation;

namespace Hone.Prompting.Tests.Evaluation;

public class CandidateRunTests
{
    private static CaseResult R(string id, bool pass, string? errorKind = null, string? error = null) => new()
    {
        CaseId = id, Pass = pass, Error = error,
        Grades = [new GraderOutcome("g", pass ? 1 : 0, pass, errorKind)],
    };

    [Fact]
    public void An_unparsable_answer_is_a_failure_other_grader_errors_and_failed_calls_are_left_out()
    {
        var run = new CandidateRun("x", [R("a", true), R("b", false, "ParseError"), R("c", false, "MissingField"), R("d", false, error: "timeout")]);
        Assert.Equal((1, 2), (run.Passed, run.Graded));
        Assert.Equal(["b"], run.Failing);
        Assert.Equal(1, run.Errors);
    }
}
