using Hone.Data.Similarity;

namespace Hone.Data.Tests.Checks;

public class TextNormalizerJoinTests
{
    [Fact]
    public void Normalising_joined_parts_is_normalising_the_joined_string()
    {
        // Seeded random texts: letters, digits, punctuation, white space, full-width forms, controls, accents, astral
        // characters and lone surrogates; parts that start or end with separators, empty parts, a null second part.
        var rng = new Random(23);
        string[] alphabet = ["a", "B", "7", " ", "  ", "\t", "\n", ",", "!", "Ａ", "！", "\u0001", "\u200B", "É", "ß", "中", "😀", "\ud800", "-"];
        string Text() => string.Concat(Enumerable.Range(0, rng.Next(0, 40)).Select(_ => alphabet[rng.Next(alphabet.Length)]));
        using var index = new NearDuplicateIndex();
        foreach (var separator in (char[])['\n', 'x', ' '])
        {
            for (var i = 0; i < 400; i++)
            {
                var (a, b) = (Text(), i % 9 == 0 ? null : Text());
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
