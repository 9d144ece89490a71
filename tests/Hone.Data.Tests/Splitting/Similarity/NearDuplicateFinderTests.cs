using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

public class NearDuplicateFinderTests
{
    /// <summary>Independent oracle: word 3-gram sets as strings, exact Jaccard over all pairs.</summary>
    private static HashSet<string> Grams(string text, int n = 3)
    {
        var w = TextNormalizer.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (w.Length == 0) return [];
        var m = Math.Min(n, w.Length);
        var set = new HashSet<string>();
        for (var i = 0; i + m <= w.Length; i++) set.Add(string.Join(' ', w, i, m));
        return set;
    }

    private static double OracleJaccard(HashSet<string> a, HashSet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (double)a.Intersect(b).Count() / a.Union(b).Count();

    private static List<(int, int)> OraclePairs(IReadOnlyList<string> texts, double t)
    {
        var grams = texts.Select(x => Grams(x)).ToArray();
        var list = new List<(int, int)>();
        for (var i = 0; i < texts.Count; i++)
            for (var j = i + 1; j < texts.Count; j++)
                if (OracleJaccard(grams[i], grams[j]) >= t) list.Add((i, j));
        return list;
    }

    [Fact]
    public void Finds_hand_made_near_duplicates_and_not_unrelated_texts()
    {
        string[] texts =
        [
            "the cat sat on the mat and looked out of the window at the birds in the garden today",
            "an entirely different sentence about stock markets falling sharply in early trading",
            "The cat sat on the mat and looked out of the window at the birds in the garden today!", // equal after normalisation
            "the cat sat on the mat and looked out of the window at the birds in the garden yesterday",
            "",
            "   ",
        ];
        var a = Grams(texts[0]);
        var d = Grams(texts[3]);
        var j03 = OracleJaccard(a, d);
        Assert.True(j03 >= 0.8, $"hand-made pair has Jaccard {j03}");
        var result = new NearDuplicateFinder().Find(texts);
        var pairs = result.Pairs.Select(p => (p.First, p.Second)).ToList();
        Assert.Equal([(0, 2), (0, 3), (2, 3)], OraclePairs(texts, 0.8));
        // Texts equal after normalisation (0 and 2) are one class: its pairs go through the first member only.
        Assert.Equal([(0, 2), (0, 3)], pairs);
        Assert.Equal(1.0, result.Pairs.Single(p => p is { First: 0, Second: 2 }).Jaccard);
        Assert.Equal(j03, result.Pairs.Single(p => p is { First: 0, Second: 3 }).Jaccard, 12);
        Assert.Single(result.Groups);
        Assert.Equal([0, 2, 3], result.Groups[0]);
        Assert.Equal([0, -1, 0, 0, -1, -1], result.GroupOf);
    }

    [Fact]
    public void Threshold_is_inclusive_and_respected()
    {
        // 1-gram sets {a..e} vs {a..d,f}: Jaccard 4/6.
        string[] texts = ["a b c d e", "a b c d f"];
        var sh = new WordShingler(1);
        Assert.Equal(4.0 / 6.0, Jaccard.Exact(sh.Shingle(texts[0]), sh.Shingle(texts[1])), 12);
        Assert.Single(new NearDuplicateFinder(new() { Shingler = sh, Threshold = 4.0 / 6.0 }).Find(texts).Pairs);
        Assert.Empty(new NearDuplicateFinder(new() { Shingler = sh, Threshold = 0.67 }).Find(texts).Pairs);
    }

    [Fact]
    public void Chains_join_into_one_group()
    {
        // A~B (J=0.8), B~C (J=0.8), A vs C = 4/6 < 0.8: one group of three through union-find.
        string[] texts = ["a b c d e f g h", "a b c d e f g h i", "b c d e f g h i", "zz yy xx"];
        var sh = new WordShingler(1);
        var r = new NearDuplicateFinder(new() { Shingler = sh, Threshold = 0.8 }).Find(texts);
        Assert.Equal([(0, 1), (1, 2)], r.Pairs.Select(p => (p.First, p.Second)));
        Assert.Equal([0, 1, 2], Assert.Single(r.Groups));
    }

    [Fact]
    public void Random_corpus_matches_brute_force_oracle_exactly()
    {
        var rng = new Random(1234);
        var vocab = Enumerable.Range(0, 400).Select(i => "w" + i).ToArray();
        var texts = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var words = Enumerable.Range(0, 25 + rng.Next(15)).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
            texts.Add(string.Join(' ', words));
            if (rng.NextDouble() < 0.3)
            {
                // A near copy: change one word or two.
                var copy = (string[])words.Clone();
                for (var c = 0; c < 1 + rng.Next(2); c++) copy[rng.Next(copy.Length)] = vocab[rng.Next(vocab.Length)];
                texts.Add(string.Join(' ', copy));
            }
        }
        foreach (var threshold in new[] { 0.8, 0.6 })
        {
            var expected = OraclePairs(texts, threshold);
            Assert.True(expected.Count > 20, $"corpus has only {expected.Count} pairs at {threshold}");
            var result = new NearDuplicateFinder(new() { Threshold = threshold }).Find(texts);
            Assert.Equal(expected, result.Pairs.Select(p => (p.First, p.Second)).ToList());
            Assert.False(result.PairsTruncated);
            // Same with another seed: verification is exact, so only recall could differ.
            var other = new NearDuplicateFinder(new() { Threshold = threshold, Seed = 99 }).Find(texts);
            Assert.Equal(expected, other.Pairs.Select(p => (p.First, p.Second)).ToList());
        }
    }

    [Fact]
    public void Across_lists_only_cross_pairs()
    {
        string[] train = ["red green blue yellow orange purple", "red green blue yellow orange purple", "one two three four five six"];
        string[] valid = ["Red, green, blue, yellow, orange, purple.", "nothing alike at all here now"];
        var r = new NearDuplicateFinder().FindAcross(train, valid);
        Assert.Equal([(0, 3), (1, 3)], r.Pairs.Select(p => (p.First, p.Second)));
        Assert.Equal([0, 1, 3], Assert.Single(r.Groups));
    }

    [Fact]
    public void Pair_list_is_capped_but_groups_stay_complete()
    {
        var texts = Enumerable.Repeat("same text for everyone here", 10).ToArray();
        var r = new NearDuplicateFinder(new() { MaxPairs = 3 }).Find(texts);
        Assert.Equal(3, r.Pairs.Count);
        Assert.True(r.PairsTruncated);
        Assert.Equal(Enumerable.Range(0, 10), Assert.Single(r.Groups));
    }

    [Theory]
    [InlineData(0.0, "threshold")]
    [InlineData(1.5, "threshold")]
    [InlineData(double.NaN, "threshold")]
    public void Invalid_threshold_is_rejected_with_a_clear_message(double t, string word)
    {
        var e = Assert.Throws<ArgumentException>(() => new NearDuplicateFinder(new() { Threshold = t }));
        Assert.Contains(word, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Invalid_bands_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new NearDuplicateFinder(new() { HashCount = 128, Bands = 7 }));
        Assert.Contains("divide", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Automatic_banding_reaches_the_threshold()
    {
        foreach (var t in new[] { 0.5, 0.8, 0.9 })
        {
            var o = new NearDuplicateOptions { Threshold = t };
            var b = o.EffectiveBands();
            var r = o.HashCount / b;
            Assert.True(1 - Math.Pow(1 - Math.Pow(t, r), b) >= 0.999);
        }
        Assert.Equal(32, new NearDuplicateOptions().EffectiveBands());
    }
}
