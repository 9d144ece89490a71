using System.Text.Json;
using Hone.Core;

namespace Hone.Core.Tests;

/// <summary>System.Text.Json's exceptions turned into "file:line:column: what is wrong", with no .NET text left.</summary>
public class JsonErrorsTests
{
    private static readonly string[] DotNetText = ["LineNumber", "BytePositionInLine", "Path:", "System.", ".NET", "reader options", "Hone."];

    private static JsonException Catch(Action parse) => Assert.ThrowsAny<JsonException>(parse);

    private static void AssertPlain(string message)
    {
        foreach (var s in DotNetText) Assert.DoesNotContain(s, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jsonl_line_error_names_file_line_and_column()
    {
        const string line = "{\"a\": 1 \"b\": 2}";
        var e = Catch(() => JsonDocument.Parse(line));
        var text = JsonErrors.Format(e, "data.jsonl", 7, line);
        Assert.StartsWith("data.jsonl:7:9: ", text, StringComparison.Ordinal);
        Assert.Contains("invalid after a value", text, StringComparison.Ordinal);
        AssertPlain(text);
    }

    [Fact]
    public void A_document_error_takes_the_line_from_the_exception()
    {
        const string json = "{\n  \"a\": 1,\n  \"b\": x\n}";
        var e = Catch(() => JsonDocument.Parse(json));
        var text = JsonErrors.Format(e, "config.json", text: json);
        Assert.StartsWith("config.json:3:8: ", text, StringComparison.Ordinal);
        AssertPlain(text);
    }

    [Fact]
    public void The_column_counts_characters_not_utf8_bytes()
    {
        const string line = "{\"é\": 1 x}"; // é is two bytes in UTF-8: the byte column is 10, the character column 9
        var e = Catch(() => JsonDocument.Parse(line));
        Assert.StartsWith("d.jsonl:1:9: ", JsonErrors.Format(e, "d.jsonl", 1, line), StringComparison.Ordinal);
        Assert.StartsWith("d.jsonl:1:10: ", JsonErrors.Format(e, "d.jsonl", 1), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": 1,}", "trailing comma before '}'")]
    [InlineData("[1, 2,]", "trailing comma before ']'")]
    [InlineData("{\"a\": [1, 2]", "not closed")]
    [InlineData("", "no JSON value")]
    [InlineData("   ", "no JSON value")]
    [InlineData("{\"a\": tru}", "invalid JSON literal")]
    [InlineData("{\"a\": \"x\ny\"}", "within a JSON string")]
    public void Reader_errors_are_worded_without_dotnet_text(string json, string expected)
    {
        var e = Catch(() => JsonDocument.Parse(json));
        var text = JsonErrors.Describe(e);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        AssertPlain(text);
    }

    [Fact]
    public void Too_deep_nesting_is_worded()
    {
        var e = Catch(() => JsonDocument.Parse(new string('[', 70) + new string(']', 70)));
        var text = JsonErrors.Describe(e);
        Assert.Contains("nested deeper than 64", text, StringComparison.Ordinal);
        AssertPlain(text);
    }

    private sealed class Example
    {
        public string? Name { get; init; }
        public int Count { get; init; }
        public List<string>? Tags { get; init; }
        public bool On { get; init; }
    }

    private sealed record Positional(string Name, int Count);

    private sealed class Required
    {
        public required string Messages { get; init; }
    }

    [Theory]
    [InlineData("{\"Name\": 5, \"Count\": 1, \"Tags\": [], \"On\": true}", "expected a string", "$.Name")]
    [InlineData("{\"Name\": \"n\", \"Count\": \"x\", \"Tags\": [], \"On\": true}", "expected a number", "$.Count")]
    [InlineData("{\"Name\": \"n\", \"Count\": 1, \"Tags\": \"t\", \"On\": true}", "expected an array", "$.Tags")]
    [InlineData("{\"Name\": \"n\", \"Count\": 1, \"Tags\": [], \"On\": 1}", "expected true or false", "$.On")]
    public void Type_errors_name_the_field_and_the_json_kind(string json, string expected, string path)
    {
        var e = Catch(() => JsonSerializer.Deserialize<Example>(json));
        var text = JsonErrors.Format(e, "x.jsonl", 3, json);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Contains(path, text, StringComparison.Ordinal);
        Assert.StartsWith("x.jsonl:3:", text, StringComparison.Ordinal);
        AssertPlain(text);
    }

    [Fact]
    public void A_constructor_parameter_of_the_wrong_type_is_named_by_its_path()
    {
        const string json = "{\"Name\": 5, \"Count\": 1}";
        var text = JsonErrors.Format(Catch(() => JsonSerializer.Deserialize<Positional>(json)), "p.jsonl", 1, json);
        Assert.Equal("p.jsonl:1:11: the value has the wrong type (at $.Name)", text);
    }

    [Fact]
    public void Missing_and_unknown_fields_are_named()
    {
        var missing = JsonErrors.Describe(Catch(() => JsonSerializer.Deserialize<Required>("{}")));
        Assert.Contains("missing required field", missing, StringComparison.Ordinal);
        Assert.Contains("Messages", missing, StringComparison.Ordinal);
        AssertPlain(missing);
        var strict = new JsonSerializerOptions { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
        var unknown = JsonErrors.Describe(Catch(() => JsonSerializer.Deserialize<Required>("{\"Messages\": \"m\", \"extra\": 1}", strict)));
        Assert.Contains("unknown field 'extra'", unknown, StringComparison.Ordinal);
        AssertPlain(unknown);
    }

    [Fact]
    public void Clean_strips_the_dotnet_position_text_from_any_message()
    {
        var e = Catch(() => JsonDocument.Parse("{\"a\": 1 \"b\": 2}"));
        var wrapped = $"run.jsonl:2: invalid JSON ({e.Message}). Run 'hone data check' on the file.";
        Assert.Contains("LineNumber", wrapped, StringComparison.Ordinal); // what the user saw before
        var text = JsonErrors.Clean(wrapped);
        Assert.StartsWith("run.jsonl:2: invalid JSON ('\"' is invalid after a value", text, StringComparison.Ordinal);
        Assert.EndsWith("Run 'hone data check' on the file.", text, StringComparison.Ordinal);
        AssertPlain(text);
        Assert.Equal("nothing to change here", JsonErrors.Clean("nothing to change here"));
    }
}
