using Hone.Evals.Metrics;

namespace Hone.Evals.Tests.Metrics;

/// <summary>Each metric against values worked out by hand for small pairs; the arithmetic is in the comments.</summary>
public class MetricTests
{
    private const int Digits = 12;

    [Fact]
    public void Bleu_partial_match()
    {
        // hyp "the cat sat on the mat" (6), ref "the cat sat on a mat" (6)
        // p1: the(min 2,1)=1 cat sat on mat -> 5/6; p2: the-cat cat-sat sat-on -> 3/5
        // p3: the-cat-sat cat-sat-on -> 2/4; p4: the-cat-sat-on -> 1/3; BP = exp(1 - 6/6) = 1
        // BLEU = (5/6 * 3/5 * 2/4 * 1/3)^(1/4) = (1/12)^(1/4)
        Assert.Equal(Math.Pow(1.0 / 12, 0.25), Bleu.Score("the cat sat on the mat", "the cat sat on a mat"), Digits);
        Assert.Equal(0.537284965911771, Bleu.Score("the cat sat on the mat", "the cat sat on a mat"), 12);
    }

    [Fact]
    public void Bleu_brevity_penalty()
    {
        // hyp "the cat sat on" (4) is a prefix of ref (6): p1..p4 = 4/4, 3/3, 2/2, 1/1
        // BP = exp(1 - 6/4) = exp(-0.5)
        Assert.Equal(Math.Exp(-0.5), Bleu.Score("the cat sat on", "the cat sat on the mat"), Digits);
    }

    [Fact]
    public void Bleu_zero_when_an_order_has_no_match_and_case_matters()
    {
        // three tokens have no 4-gram, so p4 = 0/1 and BLEU = 0
        Assert.Equal(0, Bleu.Score("a b c", "a b c"));
        // identical 4-token texts: all p_n = 1, BP = 1
        Assert.Equal(1, Bleu.Score("a b c d", "a b c d"), Digits);
        // case is kept: "A" != "a", so p1 = 3/4 ... but p4 = 0 -> 0
        Assert.Equal(0, Bleu.Score("A b c d", "a b c d"));
        Assert.Equal(0, Bleu.Score("", "a b c d"));
    }

    [Fact]
    public void Gleu_counts_all_orders()
    {
        // hyp "the cat sat", ref "the cat ran"
        // 1-grams: hyp 3, ref 3, match 2 (the, cat); 2-grams: 2, 2, match 1 (the cat); 3-grams: 1, 1, match 0
        // tp = 3; max(6, 6) = 6 -> 0.5
        Assert.Equal(0.5, Gleu.Score("the cat sat", "the cat ran"), Digits);
        // hyp "a b", ref "a b c d": 1-grams 2|4 match 2; 2-grams 1|3 match 1; 3-grams 0|2; 4-grams 0|1
        // tp = 3; max(3, 10) = 10 -> 0.3
        Assert.Equal(0.3, Gleu.Score("a b", "a b c d"), Digits);
        Assert.Equal(0, Gleu.Score("", ""));
    }

    [Fact]
    public void Meteor_penalises_fragmentation()
    {
        // hyp the0 cat1 sat2 on3 the4 mat5; ref on0 the1 mat2 the3 cat4 sat5
        // align from the last hyp word, each to the last free equal ref word:
        // mat5->2, the4->3, on3->0, sat2->5, cat1->4, the0->1
        // sorted by hyp: (0,1)(1,4)(2,5)(3,0)(4,3)(5,2): only (1,4)->(2,5) is adjacent, so chunks = 5, m = 6
        // P = R = 1, Fmean = 1 / (0.9 + 0.1) = 1; penalty = 0.5 * (5/6)^3 = 125/432
        // METEOR = 1 - 125/432 = 307/432
        Assert.Equal(307.0 / 432, Meteor.Score("the cat sat on the mat", "on the mat the cat sat"), Digits);
    }

    [Fact]
    public void Meteor_short_hypothesis_and_nltk_alignment_quirk()
    {
        // hyp the0 cat1 sat2 (lower-cased), ref the0 cat1 sat2 on3 the4 mat5
        // sat2->2, cat1->1, the0-> the LAST free "the" = 4: matches (0,4)(1,1)(2,2), chunks = 2, m = 3
        // P = 3/3 = 1, R = 3/6 = 0.5; Fmean = 0.5 / (0.9*1 + 0.1*0.5) = 0.5/0.95 = 10/19
        // penalty = 0.5 * (2/3)^3 = 4/27; METEOR = 10/19 * 23/27 = 230/513
        Assert.Equal(230.0 / 513, Meteor.Score("The Cat sat", "the cat sat on the mat"), Digits);
        Assert.Equal(0, Meteor.Score("dog", "cat"));
        Assert.Equal(0, Meteor.Score("", "cat"));
    }

    [Fact]
    public void Rouge_n_f_measures()
    {
        // rouge tokens: "The cat sat." -> the cat sat; ref the cat ran
        // ROUGE-1: overlap 2, P = R = 2/3, F = 2/3
        Assert.Equal(2.0 / 3, Rouge.N("The cat sat.", "the cat ran", 1), Digits);
        // ROUGE-2: bigrams {the cat, cat sat} vs {the cat, cat ran}: overlap 1, P = R = 1/2, F = 1/2
        Assert.Equal(0.5, Rouge.N("The cat sat.", "the cat ran", 2), Digits);
        // ROUGE-1 hyp a b c d, ref a b: overlap 2, P = 2/4, R = 2/2, F = 2*0.5*1/1.5 = 2/3
        Assert.Equal(2.0 / 3, Rouge.N("a b c d", "a b", 1), Digits);
        // ROUGE-3 hyp a b c d, ref a b c e: trigrams {abc, bcd} vs {abc, bce}: overlap 1, P = R = 1/2 -> 1/2
        Assert.Equal(0.5, Rouge.N("a b c d", "a b c e", 3), Digits);
        // ROUGE-4 a b c d e vs a b c d f: 4-grams {abcd, bcde} vs {abcd, bcdf} -> 1/2
        Assert.Equal(0.5, Rouge.N("a b c d e", "a b c d f", 4), Digits);
        // ROUGE-5 needs 5 tokens; identical 5-token texts -> 1, 4 tokens -> no 5-grams -> 0
        Assert.Equal(1, Rouge.N("a b c d e", "a b c d e", 5), Digits);
        Assert.Equal(0, Rouge.N("a b c d", "a b c d", 5));
    }

    [Fact]
    public void Rouge_tokeniser_lowercases_and_splits_on_non_alphanumerics()
    {
        Assert.Equal(["hello", "world", "42"], Tokens.Rouge("Hello, WORLD!42"));
        // non-ASCII letters are separators, as in rouge-score: "café" -> "caf"
        Assert.Equal(["caf"], Tokens.Rouge("café"));
    }

    [Fact]
    public void Rouge_l_uses_longest_common_subsequence()
    {
        // hyp a b c d e, ref a c e f: LCS = a c e = 3; P = 3/5, R = 3/4
        // F = 2 * 0.6 * 0.75 / 1.35 = 0.9 / 1.35 = 2/3
        Assert.Equal(2.0 / 3, Rouge.L("a b c d e", "a c e f"), Digits);
        Assert.Equal(0, Rouge.L("", "a"));
    }

    [Fact]
    public void Fuzzy_match_is_indel_ratio()
    {
        // kitten / sitting: LCS of characters = i t t n = 4; 2*4 / (6 + 7) = 8/13
        Assert.Equal(8.0 / 13, FuzzyMatch.Score("kitten", "sitting"), Digits);
        // abc / abd: LCS = ab = 2; 4/6
        Assert.Equal(4.0 / 6, FuzzyMatch.Score("abc", "abd"), Digits);
        Assert.Equal(1, FuzzyMatch.Score("", ""));
        Assert.Equal(0, FuzzyMatch.Score("abc", ""));
    }
}
