using Hone.Data.Checks;
using static Hone.Data.Tests.Checks.CheckHelper;

namespace Hone.Data.Tests.Checks;

/// <summary>The balance table shows labels as the data writes them; grouping still ignores case and spacing.</summary>
public class LabelBalanceTests
{
    [Fact]
    public void Labels_keep_their_case_and_group_as_before()
    {
        var set = Enumerable.Range(0, 6).Select(i => Chat($"headline {i} about the match", "Sports"))
            .Concat(Enumerable.Range(0, 5).Select(i => Chat($"headline {i} about the market", "Sci/Tech")))
            .Concat([Chat("headline about a goal", "sports "), Chat("headline about a chip", "SCI/TECH")]);
        var r = Check(set);
        // First spelling seen is shown; "sports " and "SCI/TECH" count with them, as the grouping always did.
        Assert.Equal([("Sports", 7), ("Sci/Tech", 6)], r.Dataset.Labels!.Select(l => (l.Label, l.Count)));
    }

    [Fact]
    public void The_imbalance_warning_names_the_label_as_written()
    {
        var r = Check(Enumerable.Range(0, 18).Select(i => Chat($"review {i} loved it", "Positive"))
            .Concat(Enumerable.Range(0, 2).Select(i => Chat($"review {i} hated it", "Negative"))));
        var f = Assert.Single(r.Findings, x => x.Code == FindingCodes.LabelImbalance);
        Assert.Contains("the label \"Positive\"", f.Message, StringComparison.Ordinal);
    }
}
