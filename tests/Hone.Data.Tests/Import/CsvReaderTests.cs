using Hone.Data.Import.Csv;
using Hone.Data.Model;
using Hone.Testing;

namespace Hone.Data.Tests.Import;

public class CsvReaderTests
{
    private static List<CsvRecord> Parse(string text, char delimiter = ',')
    {
        using var r = new CsvReader(new StringReader(text), "t.csv", new CsvReaderOptions { Delimiter = delimiter });
        return r.ReadRecords().ToList();
    }

    [Fact]
    public void Reads_quotes_escaped_quotes_embedded_newlines_and_crlf()
    {
        var recs = Parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\r\nline2\"\r\n1,,3\r\n");
        Assert.Equal(3, recs.Count);
        Assert.Equal(["a", "b", "c"], recs[0].Fields);
        Assert.Equal(["x, y", "say \"hi\"", "line1\r\nline2"], recs[1].Fields);
        Assert.Equal(["1", "", "3"], recs[2].Fields);
        Assert.Equal([1L, 2L, 4L], recs.Select(r => r.Line));
        Assert.Equal([1L, 2L, 3L], recs.Select(r => r.Number));
    }

    [Fact]
    public void Skips_bom_and_blank_lines_and_reads_a_last_line_without_newline()
    {
        using var r = new CsvReader(new StringReader("\uFEFFh1,h2\n\n1,2\n\n3,4"), "t.csv");
        var recs = r.ReadRecords().ToList();
        Assert.Equal(["h1", "h2"], recs[0].Fields);
        Assert.Equal(["3", "4"], recs[2].Fields);
        Assert.Equal(5, recs[2].Line);
        Assert.Equal(2, r.BlankLines);
    }

    [Fact]
    public void Tab_delimiter_and_lone_quote_in_unquoted_field()
    {
        var recs = Parse("a\tb\n5\" disk\tx,y\n", '\t');
        Assert.Equal(["5\" disk", "x,y"], recs[1].Fields);
    }

    [Fact]
    public void Quoted_empty_field_is_not_a_blank_line()
    {
        var recs = Parse("a\n\"\"\n");
        Assert.Equal(2, recs.Count);
        Assert.Equal([""], recs[1].Fields);
    }

    [Fact]
    public void Unclosed_quote_reports_the_opening_line_and_column()
    {
        var e = Assert.Throws<DataFormatException>(() => Parse("a,b\n1,\"open\nmore\n"));
        Assert.StartsWith("t.csv:2:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("never closed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_after_a_closing_quote_reports_line_and_column()
    {
        var e = Assert.Throws<DataFormatException>(() => Parse("a,b\n\"x\"y,2\n"));
        Assert.StartsWith("t.csv:2:4:", e.Message, StringComparison.Ordinal);
        Assert.Contains("after the closing quote", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_and_column_caps_are_enforced()
    {
        using var r = new CsvReader(new StringReader("abcdef\n"), "t.csv", new CsvReaderOptions { MaxFieldChars = 3 });
        Assert.Contains("longer than 3", Assert.Throws<DataFormatException>(() => r.ReadRecords().ToList()).Message, StringComparison.Ordinal);
        using var r2 = new CsvReader(new StringReader("a,b,c\n"), "t.csv", new CsvReaderOptions { MaxColumns = 2 });
        Assert.Contains("more than 2 fields", Assert.Throws<DataFormatException>(() => r2.ReadRecords().ToList()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_an_error_naming_the_file()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "bad.csv");
        File.WriteAllBytes(path, [(byte)'a', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        using var r = CsvReader.Open(path);
        var e = Assert.Throws<DataFormatException>(() => r.ReadRecords().ToList());
        Assert.Contains("not valid UTF-8", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_rejects_duplicate_and_empty_names()
    {
        var dup = Assert.Throws<DataFormatException>(() => CsvHeader.From(new CsvRecord(1, 1, ["a", "b", "a"]), "t.csv"));
        Assert.Contains("column 3 repeats the name 'a'", dup.Message, StringComparison.Ordinal);
        Assert.Throws<DataFormatException>(() => CsvHeader.From(new CsvRecord(1, 1, ["a", " "]), "t.csv"));
    }

    [Fact]
    public void Template_fills_placeholders_and_names_unknown_columns()
    {
        var header = CsvHeader.From(new CsvRecord(1, 1, ["title", "body"]), "t.csv");
        var t = PromptTemplate.Parse("T: {{ title }}\n{{body}}!").Bind(header);
        Assert.Equal("T: Hello\nWorld!", t.Render(["Hello", "World"]));
        var e = Assert.Throws<ArgumentException>(() => PromptTemplate.Parse("{{titel}}").Bind(header, "user template"));
        Assert.Contains("unknown column 'titel'", e.Message, StringComparison.Ordinal);
        Assert.Contains("available columns: title, body", e.Message, StringComparison.Ordinal);
        Assert.Contains("never closed", Assert.Throws<ArgumentException>(() => PromptTemplate.Parse("x {{title")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PromptTemplate.Parse("x {{ }}"));
    }
}
