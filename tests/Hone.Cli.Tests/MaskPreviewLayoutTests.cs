using System.Text.Json;
using Hone.Cli.Commands;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>mask-preview: wrapped at word boundaries, and the trained text marked «…» when there is no colour.</summary>
public class MaskPreviewLayoutTests
{
    private static bool[] Flags(string text, string trainedPart)
    {
        var flags = new bool[text.Length];
        var at = text.IndexOf(trainedPart, StringComparison.Ordinal);
        Array.Fill(flags, true, at, trainedPart.Length);
        return flags;
    }

    [Fact]
    public void Lines_break_at_spaces_and_keep_every_word_whole()
    {
        var answer = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"word{i}"));
        var text = "<|user|>\nhello there\n<|assistant|>\n" + answer + "<|end|>";
        var lines = MaskPreviewLayout.Lines(text, Flags(text, answer + "<|end|>"), 30, colour: false);
        Assert.All(lines, l => Assert.True(l.Length <= 30, l));
        var words = string.Join(' ', lines).Replace("«", "", StringComparison.Ordinal).Replace("»", "", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < 40; i++) Assert.Contains($"word{i}", words.Select(w => w.Replace("<|end|>", "", StringComparison.Ordinal)));
        Assert.Equal("hello there", lines[1]);
    }

    [Fact]
    public void Without_colour_the_trained_text_is_between_markers_on_each_line()
    {
        const string text = "<|user|>\nhi\n<|assistant|>\nyes\nno<|end|>\n";
        var lines = MaskPreviewLayout.Lines(text, Flags(text, "yes\nno<|end|>"), 80, colour: false);
        Assert.Equal(["<|user|>", "hi", "<|assistant|>", "«yes»", "«no<|end|>»", ""], lines);
    }

    [Fact]
    public void A_word_longer_than_a_line_is_cut_and_colour_uses_markup()
    {
        var text = new string('x', 25);
        Assert.Equal(["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"], MaskPreviewLayout.Lines(text, new bool[25], 10, colour: false));
        var coloured = MaskPreviewLayout.Lines("a [b] c", Flags("a [b] c", "[b]"), 80, colour: true);
        Assert.Equal(["[grey]a [/][black on green][[b]][/][grey] c[/]"], coloured);
    }

    [Fact]
    public void Piped_mask_preview_marks_the_answer_and_explains_the_marks()
    {
        var dir = TestAssets.NewTempDir();
        var file = TestAssets.Path("datasets", "openai-cookbook", "toy_chat_fine_tuning.jsonl");
        var r = CliRunner.Run(dir, "data", "mask-preview", file, "--example", "1",
            "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml");
        Assert.Equal(0, r.ExitCode);
        var answer = JsonDocument.Parse(File.ReadLines(file).First()).RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
        Assert.Contains("«" + answer + "<|im_end|>»", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("legend: «trained», the rest masked", r.Stdout, StringComparison.Ordinal);
    }
}
