using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

public class TextNormalizerAndShinglerTests
{
    [Theory]
    [InlineData("  Hello,   WORLD!! ", "hello world")]
    [InlineData("a,b", "a b")]
    [InlineData("Tab\tand\r\nnew line", "tab and new line")]
    [InlineData("ＡＢＣ　ｄｅｆ！", "abc def")] // full-width forms fold to ASCII; the ideographic space is white space
    [InlineData("price: $5 (five)", "price 5 five")]
    [InlineData("!!!", "")]
    [InlineData("", "")]
    public void Normalize_folds_case_whitespace_and_punctuation(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Fact]
    public void NormalizeCaseAndWhitespace_keeps_punctuation() =>
        Assert.Equal("hello, world!", TextNormalizer.NormalizeCaseAndWhitespace("  Hello,\n\n WORLD! "[..^1]));

    [Fact]
    public void Word_shingles_count_distinct_ngrams()
    {
        Assert.Equal(2, new WordShingler(3).Shingle("a b c d").Length);
        Assert.Single(new WordShingler(3).Shingle("a b"));
        Assert.Equal(2, new WordShingler(2).Shingle("a b a b a b").Length); // {a b, b a}
        Assert.Empty(new WordShingler(3).Shingle(""));
        var s = new WordShingler(1).Shingle("z y x");
        Assert.Equal(s.OrderBy(x => x), s); // sorted
    }

    [Fact]
    public void Word_order_matters_for_bigrams_but_not_unigrams()
    {
        Assert.Equal(new WordShingler(1).Shingle("a b"), new WordShingler(1).Shingle("b a"));
        Assert.NotEqual(new WordShingler(2).Shingle("a b"), new WordShingler(2).Shingle("b a"));
    }

    [Fact]
    public void Char_shingles_count_distinct_ngrams()
    {
        Assert.Equal(3, new CharShingler(3).Shingle("abcde").Length);
        Assert.Single(new CharShingler(5).Shingle("ab"));
        Assert.Single(new CharShingler(2).Shingle("aaaa"));
    }

    [Theory]
    [InlineData("the quick brown fox jumps over the lazy dog", "the quick brown fox jumps over the lazy cat")]
    [InlineData("one two three four", "three four five six seven")]
    [InlineData("alpha beta", "gamma delta")]
    [InlineData("same words here", "here words same")]
    public void Exact_jaccard_matches_hand_computed_set_jaccard(string a, string b)
    {
        var sa = a.Split(' ').ToHashSet();
        var sb = b.Split(' ').ToHashSet();
        var expected = (double)sa.Intersect(sb).Count() / sa.Union(sb).Count();
        var shingler = new WordShingler(1);
        Assert.Equal(expected, Jaccard.Exact(shingler.Shingle(a), shingler.Shingle(b)), 12);
    }

    [Fact]
    public void Exact_jaccard_of_a_known_pair_is_seven_ninths()
    {
        var sh = new WordShingler(1);
        var j = Jaccard.Exact(sh.Shingle("the quick brown fox jumps over the lazy dog"), sh.Shingle("the quick brown fox jumps over the lazy cat"));
        Assert.Equal(7.0 / 9.0, j, 12);
        Assert.Equal(0, Jaccard.Exact([], []));
    }

    [Fact]
    public void Exact_jaccard_equals_its_naive_twin_on_random_sorted_sets()
    {
        var rng = new Random(11);
        for (var trial = 0; trial < 2000; trial++)
        {
            // Values from a small range so that the sets overlap (and hit equal values at the ends), sizes 0 to 40.
            var range = 1 + rng.Next(120);
            ulong[] Set() => [.. Enumerable.Range(0, rng.Next(41)).Select(_ => (ulong)rng.Next(range) * 0x9E3779B97F4A7C15UL).Distinct().Order()];
            var a = Set();
            var b = rng.Next(4) == 0 ? a : Set();
            Assert.Equal(Jaccard.ExactNaive(a, b), Jaccard.Exact(a, b));
        }
        Assert.Equal(1.0, Jaccard.Exact([0UL, ulong.MaxValue], [0UL, ulong.MaxValue]));
        Assert.Equal(0.0, Jaccard.Exact([ulong.MaxValue], [0UL]));
    }

    [Fact]
    public void MinHash_estimate_tracks_exact_jaccard()
    {
        var rng = new Random(7);
        var hasher = new MinHasher(1024, seed: 42);
        var sh = new WordShingler(1);
        for (var trial = 0; trial < 20; trial++)
        {
            var a = Enumerable.Range(0, 60).Select(_ => "w" + rng.Next(120)).ToArray();
            var b = a.Select(w => rng.NextDouble() < 0.3 ? "w" + rng.Next(120) : w).ToArray();
            var sa = sh.Shingle(string.Join(' ', a));
            var sb = sh.Shingle(string.Join(' ', b));
            var exact = (double)a.ToHashSet().Intersect(b).Count() / a.ToHashSet().Union(b).Count();
            Assert.Equal(exact, Jaccard.Exact(sa, sb), 12);
            var est = Jaccard.Estimate(hasher.Signature(sa), hasher.Signature(sb));
            Assert.InRange(est, exact - 0.1, exact + 0.1); // standard error ≤ 0.016 at k = 1024
        }
    }

    [Fact]
    public void MinHash_is_deterministic_per_seed()
    {
        var s = new WordShingler(1).Shingle("a b c d e f");
        Assert.Equal(new MinHasher(64, 1).Signature(s), new MinHasher(64, 1).Signature(s));
        Assert.NotEqual(new MinHasher(64, 1).Signature(s), new MinHasher(64, 2).Signature(s));
        Assert.Throws<ArgumentException>(() => Jaccard.Estimate(new uint[3], new uint[4]));
    }

    [Fact]
    public void Union_find_joins_chains_and_lists_sets_deterministically()
    {
        var uf = new UnionFind(6);
        Assert.True(uf.Union(4, 2));
        Assert.True(uf.Union(2, 0));
        Assert.False(uf.Union(0, 4));
        Assert.True(uf.Union(5, 3));
        var sets = uf.Sets(minSize: 2);
        Assert.Equal(2, sets.Count);
        Assert.Equal([0, 2, 4], sets[0]);
        Assert.Equal([3, 5], sets[1]);
        Assert.Equal(3, uf.Sets().Count);
    }
}
