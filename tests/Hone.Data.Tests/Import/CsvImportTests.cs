using Hone.Data.Import;
using Hone.Data.Import.Csv;
using Hone.Data.Model;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Import;

public class CsvImportTests
{
    internal static string AgNews => TestAssets.Path("datasets", "openai-cookbook", "AG_news_samples.csv");

    internal static CsvImportOptions AgNewsOptions(string output) => new()
    {
        InputPath = AgNews,
        OutputPath = output,
        SystemPrompt = "Classify the news article as World, Sports, Business or Sci/Tech.",
        UserTemplate = "Title: {{title}}\n\n{{description}}",
        AssistantColumn = "label",
    };

    [Fact]
    public void AG_news_yields_2000_chat_examples()
    {
        var dir = TestAssets.NewTempDir();
        var output = Path.Combine(dir, "ag.jsonl");
        var before = File.ReadAllBytes(AgNews);
        var result = Importers.Import(AgNewsOptions(output));
        Assert.Equal(2000, result.Imported);
        Assert.Equal(0, result.ProblemCount);
        Assert.Equal(DataKind.Sft, result.Kind);
        var lines = File.ReadAllLines(output);
        Assert.Equal(2000, lines.Length);
        var first = OpenAiJson.ParseChat(lines[0]);
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant], first.Messages.Select(m => m.Role));
        Assert.StartsWith("Title: World Briefings\n\nBRITAIN: BLAIR WARNS", first.Messages[1].ContentText(), StringComparison.Ordinal);
        Assert.Equal("World", first.Messages[2].ContentText());
        // The third row has a quoted title containing a comma.
        Assert.StartsWith("Title: Olympic joy in Greek, Chinese press\n\n", OpenAiJson.ParseChat(lines[2]).Messages[1].ContentText(), StringComparison.Ordinal);
        var labels = lines.Select(l => OpenAiJson.ParseChat(l).Messages[2].ContentText()).ToHashSet();
        Assert.Equal(["Business", "Sci/Tech", "Sports", "World"], labels.Order());
        Assert.Equal(before, File.ReadAllBytes(AgNews));
    }

    [Fact]
    public void Unknown_column_in_template_is_an_error_listing_the_columns_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var output = Path.Combine(dir, "ag.jsonl");
        var e = Assert.Throws<ArgumentException>(() => Importers.Import(AgNewsOptions(output) with { UserTemplate = "{{headline}}" }));
        Assert.Contains("'headline'", e.Message, StringComparison.Ordinal);
        Assert.Contains("title, description, label_int, label", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Contains("unknown column 'category'", Assert.Throws<ArgumentException>(() => Importers.Import(AgNewsOptions(output) with { AssistantColumn = "category" })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_rows_are_reported_with_their_line_and_skipped()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "in.tsv");
        File.WriteAllText(input, "q\ta\nwhat?\tyes\nonly one field\n\"multi\nline\"\t\nhow?\tno\n");
        var options = new CsvImportOptions { InputPath = input, OutputPath = Path.Combine(dir, "out.jsonl"), UserTemplate = "{{q}}", AssistantColumn = "a" };
        Assert.Equal(2, Assert.Throws<InvalidRecordsException>(() => Importers.Import(options)).ProblemCount);
        Assert.False(File.Exists(options.OutputPath));
        var result = Importers.Import(options with { SkipInvalid = true });
        Assert.Equal(2, result.Imported);
        Assert.Equal(2, result.ProblemCount);
        Assert.Equal([3L, 4L], result.Problems.Select(p => p.Line!.Value));
        Assert.Contains("1 fields but the header has 2", result.Problems[0].Message, StringComparison.Ordinal);
        Assert.StartsWith(input + ":4:", result.Problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("'a' is empty", result.Problems[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_must_not_be_the_input_and_input_must_exist()
    {
        Assert.Throws<ArgumentException>(() => Importers.Import(AgNewsOptions(AgNews)));
        Assert.Throws<FileNotFoundException>(() => Importers.Import(AgNewsOptions("x.jsonl") with { InputPath = "/nonexistent/file.csv" }));
    }

    [Fact]
    public void Broken_file_throws_and_leaves_no_output()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "in.csv");
        File.WriteAllText(input, "q,a\nx,y\n\"never closed,z\n");
        var output = Path.Combine(dir, "out.jsonl");
        var e = Assert.Throws<DataFormatException>(() => Importers.Import(new CsvImportOptions { InputPath = input, OutputPath = output, UserTemplate = "{{q}}", AssistantColumn = "a" }));
        Assert.StartsWith(input + ":3:1:", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }
}
