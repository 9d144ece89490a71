using Hone.Data.Similarity;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// The data check hashes and normalises <c>first + separator + second</c> from its parts, without making the joined
/// string: each must give what the joined string gives (seeded random texts over ASCII, white space, punctuation,
/// full-width forms, controls, accents, CJK, astral characters and lone surrogates, short and past the stack buffers;
/// a null second part joins as "").
/// </summary>
public class JoinedPartsTests
{
    private static readonly string[] Alphabet =
        ["a", "B", "7", " ", "  ", "\t", "\n", ",", "!", "\"", "\\", "Ａ", "！", "\u0001", "\u200B", "É", "ß", "中", "😀", "\ud800", "\udc00", "-"];

    private static IEnumerable<(string First, string? Second)> Pairs(int seed, int count)
    {
        var rng = new Random(seed);
        string Text() => string.Concat(Enumerable.Range(0, rng.Next(0, rng.Next(3) == 0 ? 700 : 40)).Select(_ => Alphabet[rng.Next(Alphabet.Length)]));
        for (var i = 0; i < count; i++) yield return (Text(), i % 9 == 0 ? null : Text());
    }

    [Fact]
    public void The_hash_of_joined_parts_is_the_hash_of_the_joined_string()
    {
        foreach (var (a, b) in Pairs(17, 500)) Assert.Equal(TextHash.Of(a + "\u0001" + b), TextHash.Of(a, '\u0001', b));
        Assert.Throws<ArgumentOutOfRangeException>(() => TextHash.Of("a", '\ud800', "b"));
    }

    [Fact]
    public void Equal_texts_hash_alike_and_different_ones_apart()
    {
        Assert.Equal(TextHash.Of("same text"), TextHash.Of(string.Concat("same", " text")));
        Assert.NotEqual(TextHash.Of("a"), TextHash.Of("b"));
        Assert.NotEqual(TextHash.Of(""), TextHash.Of(" "));
        Assert.Equal(TextHash.Of("x\ud800"), TextHash.Of("x\udbff")); // lone surrogates read as U+FFFD (UTF-8), as ever
    }

    [Fact]
    public void Normalising_and_preparing_joined_parts_is_doing_it_to_the_joined_string()
    {
        using var index = new NearDuplicateIndex();
        foreach (var separator in (char[])['\n', 'x', ' '])
        {
            foreach (var (a, b) in Pairs(23 + separator, 300))
            {
                var joined = a + separator + b;
                Assert.Equal(TextNormalizer.Normalize(joined), TextNormalizer.Normalize(a, separator, b));
                var (one, parts) = (index.Prepare(joined), index.Prepare(a, separator, b));
                Assert.Equal(one.Hash, parts.Hash);
                Assert.Equal(one.Shingles, parts.Shingles);
                Assert.Equal(one.BandKeys, parts.BandKeys);
            }
        }
    }
}
