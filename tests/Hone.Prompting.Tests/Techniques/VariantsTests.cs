using Hone.Prompting.Evaluation;
using Hone.Prompting.Files;
using Hone.Prompting.Techniques;
using Hone.Prompting.Tests.Fakes;

namespace Hone.Prompting.Tests.Techniques;

public class VariantsTests
{
    private static PromptFile Prompt(TechniqueFixture f) => PromptFileReader.Load(f.Files.Write("p.yaml", "system: Answer with one letter.\nuser: \"{{ question }}\"\n"));

    /// <summary>Right on every case only after reasoning step by step; direct is right on cases 1 and 2 only.</summary>
    private static ScriptedChatClient ReasoningHelps() => new(m =>
    {
        var system = m[0].Text;
        int i = int.Parse(ScriptedChatClient.LastUser(m).Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        if (system.Contains("Careful reasoning about this task", StringComparison.Ordinal)) return "A";
        if (system.Contains("step by step", StringComparison.Ordinal)) return "reasoning... so A";
        return i <= 2 ? "A" : "B";
    });

    [Fact]
    public async Task Compares_every_variant_with_direct_and_recommends_the_significantly_better_one()
    {
        using var f = new TechniqueFixture(12);
        var model = ReasoningHelps();
        using var ev = f.Evaluator(model);
        var r = await Variants.RunAsync(new VariantsRequest(Prompt(f), f.Cases, [], ["step-by-step", "critique-and-revise"]), ev);

        Assert.Equal(["direct", "step-by-step", "critique-and-revise"], r.Variants.Select(v => v.Name));
        var direct = r.Variants[0];
        Assert.Equal(2.0 / 12, direct.Accuracy, 12);
        Assert.Null(direct.VsDirect);
        var cot = r.Variants[1];
        Assert.Equal(1.0, cot.Accuracy);
        Assert.Equal(2, cot.CallsPerCase);
        Assert.Equal(10, cot.VsDirect!.WrongToRight.Count);
        Assert.Empty(cot.VsDirect.RightToWrong);
        Assert.Equal(2.0 / 1024, cot.VsDirect.McNemarP, 12);   // exact binomial, 10 discordant pairs all one way
        Assert.True(cot.VsDirect.DifferenceLow > 0);
        Assert.Equal("step-by-step", r.MostAccurate);
        Assert.Equal("step-by-step", r.Recommended);
        Assert.True(cot.CostPerCase > direct.CostPerCase);
        // critique-and-revise's draft is the direct request, answered from the cache: 12 + 24 + (36 − 12) calls.
        Assert.Equal(60, model.Calls);
        Assert.Equal(60, r.Spent.Calls);
    }

    [Fact]
    public async Task When_no_variant_is_significantly_better_the_cheapest_is_named_and_a_rerun_pays_nothing()
    {
        using var f = new TechniqueFixture(8);
        var model = new ScriptedChatClient(m => m[0].Text.Contains("Reply with only the final answer", StringComparison.Ordinal) || !m[0].Text.Contains("step", StringComparison.Ordinal) ? "A" : "thinking");
        var request = new VariantsRequest(Prompt(f), f.Cases, [], ["step-by-step"]);
        using (var ev = f.Evaluator(model))
        {
            var r = await Variants.RunAsync(request, ev);
            Assert.All(r.Variants, v => Assert.Equal(1.0, v.Accuracy));
            Assert.Equal("direct", r.Recommended);
        }
        int paid = model.Calls;
        using var again = f.Evaluator(model);
        var second = await Variants.RunAsync(request, again);
        Assert.Equal(paid, model.Calls);          // every request answered from the run store's cache
        Assert.Equal(0, second.Spent.Calls);
        Assert.Equal("direct", second.Recommended);
    }

    [Fact]
    public async Task A_spending_limit_stops_the_technique_and_the_estimate_counts_every_call()
    {
        using var f = new TechniqueFixture(10);
        var model = ReasoningHelps();
        using var ev = f.Evaluator(model, new SpendLimit(MaxCalls: 15), cache: false);
        var request = new VariantsRequest(Prompt(f), f.Cases, [], ["step-by-step"]);
        var estimate = Variants.Estimate(request, ev);
        Assert.Equal(30, estimate.Calls);
        Assert.NotNull(estimate.Usd);
        await Assert.ThrowsAsync<BudgetExhaustedException>(() => Variants.RunAsync(request, ev));
        Assert.InRange(model.Calls, 15, 17);   // calls in flight may finish (concurrency 2)
        Assert.NotNull(BudgetGate.NeedsConfirmation(estimate, new Hone.Store.PromptingConfig { BudgetCalls = 29 }));
        Assert.Null(BudgetGate.NeedsConfirmation(estimate, new Hone.Store.PromptingConfig { BudgetCalls = 30 }));
        Assert.NotNull(BudgetGate.NeedsConfirmation(estimate, new Hone.Store.PromptingConfig { BudgetUsd = 0m }));
    }
}
