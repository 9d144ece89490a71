using Hone.Models.Chat;
using Hone.Testing;
using Hone.Tokenizers.Chat;

namespace Hone.Models.Tests.Chat;

public class EndOfTurnTests
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin");

    [Fact]
    public void A_marker_the_vocabulary_splits_into_several_tokens_becomes_a_stop_string()
    {
        var chatml = ChatEncoder.Load(Checkpoint, builtInTemplate: "chatml");
        Assert.True(chatml.Tokenizer.Encode("<|im_end|>", parseSpecial: true).Length > 1);
        Assert.Equal(["<|im_end|>"], LocalChatClient.FindEndOfTurnStrings(chatml, []));
    }

    [Fact]
    public void Markers_the_template_never_writes_are_not_stop_strings()
    {
        var plain = ChatEncoder.Load(Checkpoint, builtInTemplate: "plain");
        Assert.Empty(LocalChatClient.FindEndOfTurnStrings(plain, []));
    }
}
