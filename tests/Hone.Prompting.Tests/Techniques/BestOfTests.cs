using Hone.Prompting.Evaluation;
using Hone.Prompting.Files;
using Hone.Prompting.Techniques;
using Hone.Prompting.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Techniques;

public class BestOfTests
{
    /// <summary>Samples at seeds 1 and 3 are right ("A"), the others wrong; the picker answers by <paramref name="pick"/>.</summary>
    private static ScriptedChatClient Model(Func<IReadOnlyList<string>, int> pick) => new((m, o) =>
    {
        if (m[0].Text.StartsWith("You compare candidate answers", StringComparison.Ordinal))
        {
            var shown = ScriptedChatClient.LastUser(m).Split('\n').Where(l => l.StartsWith('[') && char.IsDigit(l[1])).Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 2)..]).ToList();
            return ScriptedChatClient.Reply($"Candidate {pick(shown) + 1}");
        }
        return ScriptedChatClient.Reply(o?.Seed is 1 or 3 ? "A" : "B");
    });

    [Fact]
    public async Task Reports_the_pick_against_the_oracle_and_the_baselines_and_finds_position_bias()
    {
        using var f = new TechniqueFixture(20);
        var prompt = PromptFileReader.Load(f.Files.Write("p.yaml", "user: \"{{ question }}\"\n"));
        using var ev = f.Evaluator(Model(_ => 0)); // always the first shown: position bias
        var r = await BestOf.RunAsync(new BestOfRequest(prompt, f.Cases, 4, Seed: 5), ev);

        Assert.Equal(20, r.Cases);
        Assert.Equal(0, r.FirstSample);            // repeat 0 has no seed: wrong
        Assert.Equal(0.5, r.RandomPick, 12);        // 2 of 4 samples right everywhere
        Assert.Equal(1, r.OraclePassAtN);
        // The pick is the sample shown first: right when the shuffle put sample 1 or 3 first.
        int expected = f.Cases.Count(c => BestOf.Shuffle(4, 5, c.Id)[0] is 1 or 3);
        Assert.Equal(expected / 20.0, r.SelectedAccuracy, 12);
        Assert.Equal(expected / 20.0, r.PickAccuracy, 12);
        Assert.Equal([20, 0, 0, 0], r.PicksByPosition);
        Assert.Equal(60, r.PositionChiSquare, 9);  // Σ(O−E)²/E with E = 5
        Assert.True(r.PositionP < 1e-10);
        Assert.Equal(expected, r.Gain.WrongToRight.Count);
    }

    [Fact]
    public async Task A_good_picker_reaches_the_oracle()
    {
        using var f = new TechniqueFixture(12);
        var prompt = PromptFileReader.Load(f.Files.Write("p.yaml", "user: \"{{ question }}\"\n"));
        using var ev = f.Evaluator(Model(shown => shown.ToList().IndexOf("A")));
        var r = await BestOf.RunAsync(new BestOfRequest(prompt, f.Cases, 4), ev);
        Assert.Equal(1, r.PickAccuracy);
        Assert.Equal(1, r.SelectedAccuracy);
        Assert.Equal(1, r.Gain.Difference);
        Assert.True(r.Gain.SignificantGain);
        Assert.True(r.PositionP > 0.001);          // the shuffle spreads the right answers over positions
        Assert.Equal(-1, BestOf.ParsePick("none of them", 4));
        Assert.Equal(2, BestOf.ParsePick("I pick [3].", 4));
    }

    [Fact]
    public void The_chi_square_p_value_matches_known_values()
    {
        Assert.Equal(0.05, ChiSquare.UpperGamma(1.5, 7.814727903251178 / 2), 6);   // χ²(3) 95th percentile
        Assert.Equal(0.01, ChiSquare.UpperGamma(0.5, 6.634896601021213 / 2), 6);   // χ²(1) 99th percentile
        Assert.Equal(1, ChiSquare.Uniform([5, 5, 5, 5]).P, 12);
    }
}
