using Hone.Data.Similarity;

namespace Hone.Data.Tests.Checks;

public class TextHashTests
{
    [Fact]
    public void The_hash_of_joined_parts_is_the_hash_of_the_joined_string()
    {
        // Seeded random texts over ASCII, accents, CJK, astral characters (surrogate pairs) and lone surrogates, short and
        // past the stack buffer; a null second part joins as "".
        var rng = new Random(17);
        string[] alphabet = ["a", "Z", " ", "\n", "é", "中", "😀", "\ud800", "\udc00", "\u0001", "\\", "\""];
        string Text() => string.Concat(Enumerable.Range(0, rng.Next(0, rng.Next(2) == 0 ? 12 : 900)).Select(_ => alphabet[rng.Next(alphabet.Length)]));
        for (var i = 0; i < 500; i++)
        {
            var (a, b) = (Text(), i % 7 == 0 ? null : Text());
            Assert.Equal(TextHash.Of(a + "\u0001" + b), TextHash.Of(a, '\u0001', b));
        }
    }

    [Fact]
    public void Different_texts_hash_apart_and_equal_texts_alike()
    {
        Assert.Equal(TextHash.Of("same text"), TextHash.Of(string.Concat("same", " text")));
        Assert.NotEqual(TextHash.Of("a"), TextHash.Of("b"));
        Assert.NotEqual(TextHash.Of(""), TextHash.Of(" "));
        Assert.Equal(TextHash.Of("x\ud800"), TextHash.Of("x\udbff")); // lone surrogates read as U+FFFD (UTF-8), as ever
        Assert.Throws<ArgumentOutOfRangeException>(() => TextHash.Of("a", '\ud800', "b"));
    }
}
