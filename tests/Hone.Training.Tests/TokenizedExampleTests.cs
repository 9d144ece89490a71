using Hone.Tokenizers;
using Hone.Training.Batching;

namespace Hone.Training.Tests;

public class TokenizedExampleTests
{
    /// <summary>One id per character ('a' = 10, …), BOS 1, EOS 2.</summary>
    private sealed class CharTokenizer : ITokenizer
    {
        public int VocabSize => 40;
        public int? BosId => 1;
        public int? EosId => 2;
        public int[] Encode(string text, bool addBos = false, bool parseSpecial = false) =>
            [.. (addBos ? new[] { 1 } : []), .. text.Select(c => 10 + (c - 'a'))];
        public (int[] Ids, (int Start, int End)[] Offsets) EncodeWithOffsets(string text, bool addBos = false, bool parseSpecial = false) =>
            throw new NotSupportedException();
        public string Decode(ReadOnlySpan<int> ids) => throw new NotSupportedException();
        public string TokenText(int id) => throw new NotSupportedException();
    }

    [Fact]
    public void Prompt_completion_trains_the_completion_and_eos_only()
    {
        var e = TokenizedExample.FromPromptCompletion(new CharTokenizer(), "ab", "cd");
        Assert.Equal([1, 10, 11, 12, 13, 2], e.Ids);
        Assert.Equal([false, false, false, true, true, true], e.Trained);
        Assert.Equal(3, e.TargetCount(trainOnInputs: false)); // predicts c, d and EOS
        Assert.Equal(5, e.TargetCount(trainOnInputs: true));
    }
}
