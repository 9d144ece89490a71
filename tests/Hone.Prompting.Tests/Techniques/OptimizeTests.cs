using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Hone.Prompting.Techniques;
using Hone.Prompting.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Techniques;

/// <summary>optimize against the prompt-sensitive simulated model (<see cref="RuleTask"/>).</summary>
public class OptimizeTests
{
    private static (TechniqueFixture F, PromptFile Start) Task(int n, string[] kinds, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var f = new TechniqueFixture(0, golden: RuleTask.Golden(n, kinds), name: name);
        return (f, PromptFileReader.Load(f.Files.Write("start.yaml", RuleTask.StartPrompt)));
    }

    /// <summary>Proposal k of each round (seed = round·17 + k) follows the k-th strategy.</summary>
    private static ScriptedChatClient Meta(params Func<IReadOnlyList<ChatMessage>, string>[] strategies) =>
        new((m, o) => ScriptedChatClient.Reply(strategies[Math.Min(strategies.Length, (int)(o!.Seed!.Value % 17)) - 1](m)), "meta");

    [Fact]
    public async Task Finds_the_known_best_prompts_held_out_accuracy_and_rejects_copied_answers_and_an_overfit()
    {
        var (f, start) = Task(40, RuleTask.Kinds);
        using var _ = f;
        var model = RuleTask.Model();
        var meta = Meta(RuleTask.Copier, RuleTask.Overfit, RuleTask.Honest);
        using var ev = f.Evaluator(model);
        var r = await Optimize.RunAsync(new OptimizeRequest { Prompt = start, Cases = f.Cases, ProposalsPerRound = 3, MaxRounds = 4, MaxCalls = 2_000 }, ev, ev.Wrap(meta));

        Assert.Equal(OptimizeVerdict.TargetReached, r.Verdict);
        // Every copying proposal is rejected by the guard, never evaluated.
        Assert.NotEmpty(r.Rejected);
        Assert.All(r.Rejected, x => Assert.Equal(RejectReason.GoldenAnswerCopied, x.Reason));
        // The overfitted proposal wins on the fit part and loses on the select part: not kept.
        var startScore = r.Candidates[0];
        var overfit = r.Candidates.FirstOrDefault(c => c.Name == "r1p2") ?? throw new Xunit.Sdk.XunitException(string.Join("; ", r.Rejected.Select(x => $"{x.Name} {x.Reason} {x.Detail}")) + " / " + string.Join("; ", r.Candidates.Select(c => $"{c.Name} {c.FitAccuracy} {c.SelectAccuracy}")));
        Assert.True(overfit.FitAccuracy > startScore.FitAccuracy, $"{overfit.FitAccuracy} vs {startScore.FitAccuracy}");
        Assert.True(overfit.SelectAccuracy < startScore.SelectAccuracy);
        Assert.False(overfit.Kept);
        Assert.NotEqual("r1p2", r.Best);

        // The known best prompt (every rule) on the same sealed test part.
        var split = SealedSplit.Create(f.Cases, 0);
        split.OpenTest();
        var best = PromptFileReader.Load(f.Files.Write("best.yaml", $"system: |\n  Transform the word as its kind requires.\n  {RuleTask.AllRules.Replace("\n", "\n  ", StringComparison.Ordinal)}\nuser: \"{{{{ kind }}}} : {{{{ word }}}}\"\n".Replace(" : ", ": ", StringComparison.Ordinal)));
        var known = await ev.EvaluateAsync("known", new PromptProgram(best), f.Cases.Where(c => !split.Fit.Contains(c) && !split.Select.Contains(c)).ToList());
        Assert.Equal(1.0, known.Accuracy);
        Assert.Equal(known.Accuracy, r.Test.AccuracyB);
        Assert.InRange(r.Test.AccuracyA, 0.1, 0.4);       // only alpha has its rule at the start
        Assert.True(r.Test.SignificantGain || r.Test.Cases < 8);
        Assert.Equal(40, r.SplitSizes.Sum());
        Assert.Contains("RULE gamma", r.BestYaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stops_at_the_limit_of_prompting_with_the_evidence_and_a_rerun_pays_nothing()
    {
        var (f, start) = Task(30, [.. RuleTask.Kinds, "omega"]);
        using var _ = f;
        var model = RuleTask.Model();
        var meta = Meta(RuleTask.Honest);
        var request = new OptimizeRequest { Prompt = start, Cases = f.Cases, ProposalsPerRound = 1, MaxRounds = 8, Patience = 2 };
        OptimizeResult r;
        using (var ev = f.Evaluator(model)) r = await Optimize.RunAsync(request, ev, ev.Wrap(meta));
        Assert.Equal(OptimizeVerdict.LimitReached, r.Verdict);
        Assert.Contains("prompting has reached its limit", r.VerdictText, StringComparison.Ordinal);
        Assert.NotEmpty(r.Evidence.FailedByEveryCandidate);
        Assert.All(r.Evidence.FailedByEveryCandidate, id => Assert.Equal("omega", f.Cases.Single(c => c.Id == id).Item.GetProperty("kind").GetString()));
        Assert.Equal(r.Evidence.BestSelect, r.Evidence.PoolCeiling, 12);
        Assert.Equal(2, r.Evidence.RoundsWithoutGain);

        int paid = model.Calls + meta.Calls;
        using var again = f.Evaluator(model);
        var second = await Optimize.RunAsync(request, again, again.Wrap(meta));
        Assert.Equal(paid, model.Calls + meta.Calls);   // resumed entirely from the cache
        Assert.Equal(0, second.Spent.Calls);
        Assert.Equal(r.Best, second.Best);
        Assert.Equal(r.Seal, second.Seal);
    }

    [Fact]
    public async Task A_call_budget_ends_the_search_with_the_test_part_still_read()
    {
        var (f, start) = Task(40, RuleTask.Kinds);
        using var _ = f;
        var model = RuleTask.Model();
        using var ev = f.Evaluator(model);
        var r = await Optimize.RunAsync(new OptimizeRequest { Prompt = start, Cases = f.Cases, ProposalsPerRound = 2, MaxCalls = 70 }, ev, ev.Wrap(Meta(RuleTask.Overfit)));
        Assert.Equal(OptimizeVerdict.BudgetExhausted, r.Verdict);
        Assert.True(r.Spent.Calls <= 70, $"{r.Spent.Calls} calls");
        Assert.Equal(r.SplitSizes[2], r.Test.Cases);
    }

    [Fact]
    public void The_split_is_sealed_seeded_and_the_test_part_opens_once()
    {
        var cases = TestFiles.Cases([.. RuleTask.Golden(20, RuleTask.Kinds).Split('\n')]);
        var a = SealedSplit.Create(cases, 3);
        var b = SealedSplit.Create(cases, 3);
        Assert.Equal(a.Seal, b.Seal);
        Assert.NotEqual(a.Seal, SealedSplit.Create(cases, 4).Seal);
        Assert.Equal(20, a.Fit.Count + a.Select.Count + a.TestCount);
        Assert.Empty(a.Fit.Intersect(a.Select));
        Assert.Equal(a.TestCount, a.OpenTest().Count);
        Assert.Throws<InvalidOperationException>(() => a.OpenTest());
    }
}
