using Hone.Evals.Compare;

namespace Hone.Evals.Tests.Compare;

public class WordDiffTests
{
    private static string Old(IReadOnlyList<DiffSegment> d) => string.Concat(d.Where(s => s.Kind != DiffKind.Added).Select(s => s.Text));

    private static string New(IReadOnlyList<DiffSegment> d) => string.Concat(d.Where(s => s.Kind != DiffKind.Removed).Select(s => s.Text));

    [Fact]
    public void Tokens_are_words_whitespace_runs_and_single_symbols_and_give_the_text_back()
    {
        Assert.Equal(["Hello", ",", "  ", "world42", "!", "\n", "x"], WordDiff.Tokenize("Hello,  world42!\nx"));
        Assert.Empty(WordDiff.Tokenize(""));
    }

    [Fact]
    public void Changed_words_are_removed_then_added_between_unchanged_text()
    {
        var d = WordDiff.Diff("the cat sat on the mat", "the dog sat on a mat");
        Assert.Equal(
        [
            new DiffSegment(DiffKind.Same, "the "), new DiffSegment(DiffKind.Removed, "cat"), new DiffSegment(DiffKind.Added, "dog"),
            new DiffSegment(DiffKind.Same, " sat on "), new DiffSegment(DiffKind.Removed, "the"), new DiffSegment(DiffKind.Added, "a"),
            new DiffSegment(DiffKind.Same, " mat"),
        ], d);
    }

    [Fact]
    public void Insertions_deletions_and_edge_cases()
    {
        Assert.Equal([new DiffSegment(DiffKind.Same, "a b"), new DiffSegment(DiffKind.Added, " c")], WordDiff.Diff("a b", "a b c"));
        Assert.Equal([new DiffSegment(DiffKind.Removed, "x "), new DiffSegment(DiffKind.Same, "y")], WordDiff.Diff("x y", "y"));
        Assert.Equal([new DiffSegment(DiffKind.Same, "same")], WordDiff.Diff("same", "same"));
        Assert.Equal([new DiffSegment(DiffKind.Added, "new")], WordDiff.Diff("", "new"));
        Assert.Empty(WordDiff.Diff("", ""));
    }

    [Fact]
    public void Seeded_random_texts_reconstruct_and_keep_a_longest_common_subsequence()
    {
        var rng = new Random(11);
        string[] words = ["a", "b", "c", "d", " ", ", ", "ee"];
        for (int trial = 0; trial < 200; trial++)
        {
            string Make() => string.Concat(Enumerable.Range(0, rng.Next(0, 14)).Select(_ => words[rng.Next(words.Length)]));
            string x = Make(), y = Make();
            var d = WordDiff.Diff(x, y);
            Assert.Equal(x, Old(d));
            Assert.Equal(y, New(d));
            // As many tokens kept as the longest common subsequence, computed here by memoised recursion.
            Assert.Equal(Lcs(WordDiff.Tokenize(x), WordDiff.Tokenize(y)), SameTokenCount(d));
        }
    }

    [Fact]
    public void Past_the_table_bound_the_middle_is_one_removal_and_one_addition()
    {
        var x = "start " + string.Join(" ", Enumerable.Range(0, 2500).Select(i => "a" + i)) + " end";
        var y = "start " + string.Join(" ", Enumerable.Range(0, 2500).Select(i => "b" + i)) + " end";
        var d = WordDiff.Diff(x, y);
        Assert.Equal(x, Old(d));
        Assert.Equal(y, New(d));
        Assert.Equal([DiffKind.Same, DiffKind.Removed, DiffKind.Added, DiffKind.Same], d.Select(s => s.Kind));
    }

    /// <summary>Tokens kept: a same segment is a run of consecutive tokens of the old text, so tokenising it again gives them back.</summary>
    private static int SameTokenCount(IReadOnlyList<DiffSegment> d) => d.Where(s => s.Kind == DiffKind.Same).Sum(s => WordDiff.Tokenize(s.Text).Count);

    private static int Lcs(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var memo = new Dictionary<(int, int), int>();
        int Go(int i, int j)
        {
            if (i == a.Count || j == b.Count) return 0;
            if (memo.TryGetValue((i, j), out var v)) return v;
            v = a[i] == b[j] ? 1 + Go(i + 1, j + 1) : Math.Max(Go(i + 1, j), Go(i, j + 1));
            memo[(i, j)] = v;
            return v;
        }
        return Go(0, 0);
    }
}
