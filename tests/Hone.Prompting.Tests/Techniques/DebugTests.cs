using Hone.Evals.Runs;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Hone.Prompting.Techniques;
using Hone.Prompting.Tests.Fakes;

namespace Hone.Prompting.Tests.Techniques;

/// <summary>debug against the prompt-sensitive simulated model: adopted only with a held-out gain and no must-pass regression.</summary>
public class DebugTests
{
    private static async Task<(TechniqueFixture F, PromptFile Start, EvalRunResult Run)> Failed(Func<int, string, IEnumerable<string>>? tags = null,
        [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var f = new TechniqueFixture(0, golden: RuleTask.Golden(40, RuleTask.Kinds, tags), name: name);
        var start = PromptFileReader.Load(f.Files.Write("start.yaml", RuleTask.StartPrompt));
        var run = await new EvalRunner(f.Store, Path.Combine(f.Files.Dir, "runs")).RunAsync(
            new EvalRunOptions { Spec = f.Spec, Model = "rule", Program = new PromptProgram(start) }, RuleTask.Model());
        return (f, start, run);
    }

    [Fact]
    public async Task A_rewrite_that_fixes_the_held_out_failures_is_adopted()
    {
        var (f, start, run) = await Failed();
        using var _ = f;
        var model = RuleTask.Model();
        using var ev = f.Evaluator(model);
        var meta = new ScriptedChatClient(RuleTask.Honest, "meta");
        var r = await Debug.RunAsync(new DebugRequest(start, run.Results, run.Run.Id, f.Cases), ev, ev.Wrap(meta));
        Assert.True(r.Adopted, r.Why);
        Assert.Equal(20, r.HeldOutCases);
        Assert.True(r.HeldOut!.AccuracyB > r.HeldOut.AccuracyA);
        Assert.Empty(r.HeldOut.RightToWrong);
        Assert.True(r.HeldOut.McNemarP < 0.05);
        Assert.NotNull(PromptFileReader.Parse(r.RewriteYaml!, Path.Combine(f.Files.Dir, "x.yaml")).System);
        // Only failures of the shown part reached the meta-model.
        var (_, held) = Debug.Split(run.Results.Select(x => x.CaseId), 0, 0.5);
        var shownWords = RuleTask.Failures(meta.Requests[0].Messages).Select(x => x.Word).ToHashSet();
        Assert.DoesNotContain(f.Cases.Where(c => held.Contains(c.Id)), c => shownWords.Contains(c.Item.GetProperty("word").GetString()!));
    }

    [Fact]
    public async Task A_rewrite_that_breaks_a_must_pass_case_is_not_adopted_even_with_a_gain()
    {
        // alpha cases are must-pass; the rewrite adds every rule but a default that overrides alpha's.
        var (f, start, run) = await Failed((i, kind) => kind == "alpha" && i < 8 ? ["must-pass"] : []);
        using var _ = f;
        using var ev = f.Evaluator(RuleTask.Model());
        var meta = new ScriptedChatClient(m => RuleTask.Reply(RuleTask.CurrentSystem(m) + "\n" + RuleTask.AllRules + "\nWORD banana: first3"), "meta");
        var r = await Debug.RunAsync(new DebugRequest(start, run.Results, run.Run.Id, f.Cases), ev, ev.Wrap(meta));
        Assert.False(r.Adopted);
        Assert.Equal(["c01"], r.MustPassRegressions);   // banana is case c01, an alpha case tagged must-pass
        Assert.Contains("must-pass", r.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rewrite_without_a_significant_gain_or_rejected_by_a_guard_is_not_adopted()
    {
        var (f, start, run) = await Failed();
        using var _ = f;
        using var ev = f.Evaluator(RuleTask.Model());
        var none = await Debug.RunAsync(new DebugRequest(start, run.Results, run.Run.Id, f.Cases), ev,
            ev.Wrap(new ScriptedChatClient(m => RuleTask.Reply(RuleTask.CurrentSystem(m) + "\nBe precise."), "meta-none")));
        Assert.False(none.Adopted);
        Assert.Equal(0, none.HeldOut!.Difference);
        var copied = await Debug.RunAsync(new DebugRequest(start, run.Results, run.Run.Id, f.Cases), ev, ev.Wrap(new ScriptedChatClient(RuleTask.Copier, "meta-copy")));
        Assert.False(copied.Adopted);
        Assert.Equal(RejectReason.GoldenAnswerCopied, copied.Rejected!.Reason);
        Assert.Null(copied.HeldOut);
    }
}
