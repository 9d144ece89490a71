using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>Whatever command reads the broken JSON, the error the user sees carries none of .NET's position text.</summary>
public class JsonErrorOutputTests
{
    [Fact]
    public void Train_on_a_broken_jsonl_line_prints_no_dotnet_text()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "t.jsonl"),
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n" +
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\" \"content\": \"yo\"}]}\n");
        var r = CliRunner.Run(dir, "train", "sft", "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml",
            "--train", "t.jsonl", "--out", "run", "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("t.jsonl:2", r.Stderr, StringComparison.Ordinal);
        foreach (var text in new[] { r.Stderr, r.Json.GetProperty("error").GetString()! })
        {
            Assert.DoesNotContain("LineNumber", text, StringComparison.Ordinal);
            Assert.DoesNotContain("BytePositionInLine", text, StringComparison.Ordinal);
        }
    }
}
