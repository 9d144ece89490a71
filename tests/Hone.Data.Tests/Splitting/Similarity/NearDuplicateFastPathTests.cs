using System.Globalization;
using System.Text;
using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

/// <summary>The fast near-duplicate path (vector MinHash, pooled shingling, keyed LSH banding) held to naive twins.</summary>
public class NearDuplicateFastPathTests
{
    [Fact]
    public void Vector_signature_equals_the_naive_twin_bit_for_bit()
    {
        var rng = new Random(31);
        foreach (var k in new[] { 1, 3, 4, 7, 8, 13, 16, 31, 32, 33, 100, 128, 1024 })
        {
            var hasher = new MinHasher(k, seed: (ulong)rng.NextInt64());
            foreach (var size in new[] { 0, 1, 2, 9, 57, 400 })
            {
                var shingles = new ulong[size];
                for (var i = 0; i < size; i++) shingles[i] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
                if (size > 2) shingles[1] = ulong.MaxValue; // the extremes of the ordering
                if (size > 3) shingles[2] = 0;
                var naive = new uint[k];
                hasher.SignatureNaive(shingles, naive);
                Assert.Equal(naive, hasher.Signature(shingles));
                if (size == 0) Assert.All(naive, v => Assert.Equal(uint.MaxValue, v));
            }
        }
    }

    [Fact]
    public void Radix_sort_of_band_keys_equals_the_naive_twin()
    {
        var rng = new Random(43);
        foreach (var n in new[] { 0, 1, 2, 255, 256, 257, 1000, 5000, 70_000 })
        {
            foreach (var shape in new[] { "random", "few distinct", "shared high bits", "one key", "extremes" })
            {
                var keys = new ulong[n];
                for (var i = 0; i < n; i++)
                {
                    keys[i] = shape switch
                    {
                        "random" => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 33),
                        "few distinct" => (ulong)rng.Next(7) * 0x9E3779B97F4A7C15UL,
                        "shared high bits" => 0xABCD_0000_0000_0000UL | (uint)rng.Next(50),
                        "one key" => 42,
                        _ => rng.Next(3) switch { 0 => 0, 1 => ulong.MaxValue, _ => (ulong)rng.NextInt64() },
                    };
                }
                var items = new int[n];
                for (var i = 0; i < n; i++) items[i] = shape == "random" ? rng.Next() : i; // any items; band reps are 0, 1, 2, ...
                var (nk, ni) = ((ulong[])keys.Clone(), (int[])items.Clone());
                RadixSort.SortPairsNaive(nk, ni);
                RadixSort.SortPairs(keys, items, new ulong[n + 3], new int[n + 3]);
                Assert.Equal(nk, keys);
                Assert.Equal(ni, items);
            }
        }
    }

    [Fact]
    public void Shinglers_give_sorted_distinct_sets_that_match_string_sets()
    {
        var rng = new Random(5);
        string[] vocab = ["a", "bb", "ccc", "a1", "zz", "é", "ß"];
        for (var trial = 0; trial < 200; trial++)
        {
            var a = RandomWords(rng, vocab, rng.Next(0, 30));
            var b = RandomWords(rng, vocab, rng.Next(0, 30));
            foreach (var n in new[] { 1, 2, 3, 5 })
            {
                var word = new WordShingler(n);
                AssertSetLike(word.Shingle(a), WordGrams(a, n).Count);
                Assert.Equal(StringJaccard(WordGrams(a, n), WordGrams(b, n)), Jaccard.Exact(word.Shingle(a), word.Shingle(b)), 12);
                var chars = new CharShingler(n);
                AssertSetLike(chars.Shingle(a), CharGrams(a, n).Count);
                Assert.Equal(StringJaccard(CharGrams(a, n), CharGrams(b, n)), Jaccard.Exact(chars.Shingle(a), chars.Shingle(b)), 12);
            }
        }
    }

    [Fact]
    public void Normalizer_matches_its_naive_twin()
    {
        var rng = new Random(17);
        const string alphabet = "aZ9 \t\n\r,.!?-_()$€+=~^`ＡＺ！　\u0001\u007F\u0085\u00A0\u200B\u00C9ßİ语";
        for (var trial = 0; trial < 2000; trial++)
        {
            var sb = new StringBuilder();
            for (var i = rng.Next(0, 40); i > 0; i--) sb.Append(alphabet[rng.Next(alphabet.Length)]);
            var text = sb.ToString();
            Assert.Equal(NaiveNormalize(text, dropPunctuation: true), TextNormalizer.Normalize(text));
            Assert.Equal(NaiveNormalize(text, dropPunctuation: false), TextNormalizer.NormalizeCaseAndWhitespace(text));
        }
        Assert.Equal("already normal text", TextNormalizer.Normalize("already normal text"));
    }

    [Theory]
    [InlineData(false, 0.8)]
    [InlineData(false, 0.5)]
    [InlineData(true, 0.7)]
    public void Finder_agrees_with_exact_jaccard_over_all_pairs(bool charShingles, double threshold)
    {
        // Seeded corpus: random texts, some with near copies (a few words changed) and copies of copies. Texts equal
        // after normalisation are left out: the finder lists those as a star, not as every pair.
        var rng = new Random(charShingles ? 77 : 2024);
        var vocab = Enumerable.Range(0, 300).Select(i => "v" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var texts = new List<string>();
        var distinct = new HashSet<string>();
        void Add(string[] words)
        {
            var text = string.Join(' ', words);
            if (distinct.Add(TextNormalizer.Normalize(text))) texts.Add(rng.Next(4) == 0 ? text.ToUpperInvariant() + "!" : text);
        }
        for (var i = 0; i < 700; i++)
        {
            var words = Enumerable.Range(0, 10 + rng.Next(40)).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
            Add(words);
            for (var copies = rng.NextDouble() < 0.4 ? 1 + rng.Next(3) : 0; copies > 0; copies--)
            {
                for (var c = 1 + rng.Next(3); c > 0; c--) words[rng.Next(words.Length)] = vocab[rng.Next(vocab.Length)];
                Add(words);
            }
        }
        IShingler shingler = charShingles ? new CharShingler(5) : new WordShingler(3);
        var sets = texts.Select(t => charShingles ? CharGrams(TextNormalizer.Normalize(t), 5) : WordGrams(TextNormalizer.Normalize(t), 3)).ToArray();

        var result = new NearDuplicateFinder(new() { Threshold = threshold, Shingler = shingler }).Find(texts);
        var found = result.Pairs.ToDictionary(p => (p.First, p.Second), p => p.Jaccard);
        Assert.Equal(found.Keys.Order(), found.Keys); // sorted by (First, Second)
        var wellAbove = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            for (var j = i + 1; j < texts.Count; j++)
            {
                var exact = StringJaccard(sets[i], sets[j]);
                if (found.TryGetValue((i, j), out var reported))
                {
                    Assert.True(exact >= threshold, $"({i}, {j}) reported at Jaccard {exact} < {threshold}");
                    Assert.Equal(exact, reported, 12);
                }
                else if (exact >= threshold + 0.05)
                {
                    Assert.Fail($"({i}, {j}) with Jaccard {exact} ≥ {threshold} + 0.05 was not found");
                }
                if (exact >= threshold + 0.05) wellAbove++;
            }
        }
        Assert.True(wellAbove > 50, $"the corpus has only {wellAbove} pairs well above the threshold");
    }

    private static void AssertSetLike(ulong[] shingles, int expectedCount)
    {
        Assert.Equal(expectedCount, shingles.Length);
        for (var i = 1; i < shingles.Length; i++) Assert.True(shingles[i - 1] < shingles[i], "shingles must be sorted and distinct");
    }

    private static string RandomWords(Random rng, string[] vocab, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(_ => vocab[rng.Next(vocab.Length)]));

    private static HashSet<string> WordGrams(string text, int n)
    {
        var w = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (w.Length == 0) return [];
        var m = Math.Min(n, w.Length);
        return Enumerable.Range(0, w.Length - m + 1).Select(i => string.Join(' ', w, i, m)).ToHashSet();
    }

    private static HashSet<string> CharGrams(string text, int n)
    {
        if (text.Length == 0) return [];
        var m = Math.Min(n, text.Length);
        return Enumerable.Range(0, text.Length - m + 1).Select(i => text.Substring(i, m)).ToHashSet();
    }

    private static double StringJaccard(HashSet<string> a, HashSet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (double)a.Intersect(b).Count() / a.Union(b).Count();

    /// <summary>The normalisation rule written plainly (StringBuilder, one character at a time).</summary>
    private static string NaiveNormalize(string text, bool dropPunctuation)
    {
        var sb = new StringBuilder();
        var pendingSpace = false;
        foreach (var raw in text)
        {
            var c = char.ToLowerInvariant(raw is >= '\uFF01' and <= '\uFF5E' ? (char)(raw - 0xFEE0) : raw);
            var cat = char.GetUnicodeCategory(c);
            var separator = char.IsWhiteSpace(c) || cat is UnicodeCategory.Control or UnicodeCategory.Format
                || (dropPunctuation && (char.IsPunctuation(c) || char.IsSymbol(c)));
            if (separator)
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace) sb.Append(' ');
            pendingSpace = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
