using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// The <c>join</c> filter concatenates in one pass (Filters.Join); its naive twin adds one separator and item at a time
/// (Filters.JoinNaive). Same text, same provenance (segments of message text, weak ones too), same kind of str, and the
/// length cap stops both at the same step, whatever the items and separator: strs, tracked strs, Markup, numbers.
/// </summary>
public class JoinTwinTests
{
    [Fact]
    public void One_pass_join_equals_the_pairwise_twin()
    {
        var rng = new Random(71);
        object[] pool =
        [
            "", "a", "<b>", "word ", 7L, 2.5, true,
            new TrackedString("msg", [new Seg(0, 3, 0)]),
            new TrackedString("", [new Seg(0, 0, 1)]),
            new TrackedString("two parts", [new Seg(0, 3, 1), new Seg(4, 9, 2, Weak: true)], fromToolCall: true),
            new TrackedString("<i>", [], isMarkup: true),
            new TrackedString("<m>x", [new Seg(3, 4, 3)], isMarkup: true),
        ];
        foreach (var cap in new[] { 8_000_000, 40, 9 })
        {
            for (var trial = 0; trial < 400; trial++)
            {
                var items = new List<object?>();
                for (var i = rng.Next(0, 9); i > 0; i--) items.Add(pool[rng.Next(pool.Length)]);
                var sep = pool[rng.Next(pool.Length)];
                Assert.Equal(Outcome(() => Filters.JoinNaive(Context(cap), items, sep)), Outcome(() => Filters.Join(Context(cap), items, sep)));
            }
        }
    }

    private static RenderContext Context(int cap) => new(new SourceInfo("t", ""), new ChatTemplateLimits(MaxOutputChars: cap), null, data: false);

    private static string Outcome(Func<object> join)
    {
        try
        {
            var v = join();
            return v switch
            {
                string s => "str " + s,
                TrackedString t => $"tracked markup={t.IsMarkup} tool={t.FromToolCall} {t.Text} [{string.Join(",", t.Segs)}]",
                _ => "other " + v,
            };
        }
        catch (TemplateError e)
        {
            return "error " + e.Message;
        }
    }
}
