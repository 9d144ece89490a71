using System.Text;
using System.Text.Json;

namespace Hone.Tokenizers.Tests;

internal static class OffsetChecks
{
    /// <summary>
    /// Offsets come with exactly Encode's ids; tokens are grouped where their ranges overlap (only pieces that split a
    /// char may overlap); the groups tile the text left to right with no gap; each group's tokens decode to exactly its
    /// span of the text (up to the dummy-prefix space, which has no text).
    /// </summary>
    public static void AssertOffsetsConsistent(ITokenizer tok, string text, bool parseSpecial = false)
    {
        var (ids, offsets) = tok.EncodeWithOffsets(text, addBos: false, parseSpecial: parseSpecial);
        Assert.Equal(tok.Encode(text, false, parseSpecial), ids);
        Assert.Equal(ids.Length, offsets.Length);
        var sb = new StringBuilder();
        var pos = 0;
        var i = 0;
        while (i < ids.Length)
        {
            var (gs, ge) = offsets[i];
            Assert.True(gs == pos, $"token {i} starts at {gs}, expected {pos} (text {JsonSerializer.Serialize(text)})");
            var j = i + 1;
            while (j < ids.Length && offsets[j].Start < ge)
            {
                Assert.True(ge - offsets[j].Start <= 2, $"token {j} overlaps the previous one by more than one char");
                ge = Math.Max(ge, offsets[j].End);
                j++;
            }
            // Zero-width tokens (a lone dummy-prefix "▁") join the next group.
            if (gs == ge && j < ids.Length)
            {
                ge = offsets[j].End;
                j++;
                while (j < ids.Length && offsets[j].Start < ge) { ge = Math.Max(ge, offsets[j].End); j++; }
            }
            Assert.True(gs <= ge && ge <= text.Length, $"token {i} range ({gs},{ge}) is invalid for {text.Length} chars");
            var expected = text[gs..ge];
            var decoded = tok.Decode(ids.AsSpan(i, j - i));
            Assert.True(decoded == expected || decoded.TrimStart(' ') == expected.TrimStart(' '),
                $"tokens {i}..{j - 1} cover {JsonSerializer.Serialize(expected)} but decode to {JsonSerializer.Serialize(decoded)} (text {JsonSerializer.Serialize(text)})");
            sb.Append(expected);
            pos = ge;
            i = j;
        }
        Assert.Equal(text, sb.ToString());
    }
}
