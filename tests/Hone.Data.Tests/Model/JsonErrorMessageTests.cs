using System.Text;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Tests.Model;

/// <summary>Errors in user JSON/JSONL read as "file:line:column: what is wrong", with none of .NET's text.</summary>
public class JsonErrorMessageTests
{
    private static readonly string[] DotNetText = ["LineNumber", "BytePositionInLine", "Path:", "System.", "reader options", "ChatExample", "Number."];

    private static void AssertPlain(string message)
    {
        foreach (var s in DotNetText) Assert.DoesNotContain(s, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_of_the_wrong_shape_names_file_line_column_and_field()
    {
        const string line = "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}";
        var e = Assert.Throws<DataFormatException>(() => OpenAiJson.ParseChat(line, "train.jsonl", 4));
        Assert.StartsWith("train.jsonl:4:", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid chat example: content must be a string or a list of parts, not a number (at $.messages[0].content).", e.Message, StringComparison.Ordinal);
        AssertPlain(e.Message);
    }

    [Fact]
    public void A_line_that_is_not_json_names_the_column_in_characters()
    {
        const string line = "{\"messages\": [{\"role\": \"user\" \"content\": \"é\"}]}";
        var e = Assert.Throws<DataFormatException>(() => OpenAiJson.ParseChat(line, "train.jsonl", 2));
        Assert.StartsWith("train.jsonl:2:31: not a valid chat example: '\"' is invalid after a value", e.Message, StringComparison.Ordinal);
        AssertPlain(e.Message);
    }

    [Fact]
    public void The_jsonl_reader_words_a_trailing_comma_without_reader_options()
    {
        using var r = new JsonlReader(new MemoryStream(Encoding.UTF8.GetBytes("{\"a\": 1,}\n"), writable: false), "t.jsonl");
        var finding = Assert.Single(Assert.Single(r.ReadLines().ToList()).Findings);
        Assert.Equal("t.jsonl:1:9: invalid JSON: a trailing comma before '}' (JSON allows none)", finding.Message);
        AssertPlain(finding.Message);
    }
}
