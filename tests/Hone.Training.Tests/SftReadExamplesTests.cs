using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>The SFT data reader on hostile lines: an error naming file:line, never an internal exception.</summary>
public class SftReadExamplesTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    [Theory]
    [InlineData("""{"prompt":"a \ud800 b","completion":" c"}""")]
    [InlineData("""{"messages":[{"role":"user","content":"\udc00"},{"role":"assistant","content":"x"}]}""")]
    public void A_lone_surrogate_escape_is_a_training_error_naming_the_line(string bad)
    {
        // Issue 18 item 11: "\ud800" in a prompt/completion line threw InvalidOperationException (exit 3).
        var path = Path.Combine(TestAssets.NewTempDir(), "train.jsonl");
        File.WriteAllText(path, """{"prompt":"fine","completion":" ok"}""" + "\n" + bad + "\n");
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        var e = Assert.Throws<TrainingException>(() => SftRun.ReadExamples(path, encoder));
        Assert.Contains($"{path}:2", e.Message, StringComparison.Ordinal);
        Assert.Contains("surrogate", e.Message, StringComparison.Ordinal);
    }
}
