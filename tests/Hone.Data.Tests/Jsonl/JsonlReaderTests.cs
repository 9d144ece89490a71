using System.Security.Cryptography;
using System.Text;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Testing;

namespace Hone.Data.Tests.Jsonl;

public class JsonlReaderTests
{
    private sealed record Seen(long Line, bool HasRoot, string[] Codes, long?[] Columns);

    private static List<Seen> Read(byte[] bytes, JsonlReaderOptions? options = null)
    {
        using var r = new JsonlReader(new MemoryStream(bytes, writable: false), "t.jsonl", options);
        var result = r.ReadLines().Select(l => new Seen(l.LineNumber, l.Root is not null,
            l.Findings.Select(f => f.Code).ToArray(), l.Findings.Select(f => f.Column).ToArray())).ToList();
        Assert.Equal(bytes.Length, r.BytesRead);
        return result;
    }

    private static List<Seen> Read(string text, JsonlReaderOptions? options = null) => Read(Encoding.UTF8.GetBytes(text), options);

    [Fact]
    public void Clean_file_gives_objects_and_no_findings()
    {
        var seen = Read("{\"a\":1}\n{\"b\":[2]}\n");
        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.True(s.HasRoot));
        Assert.All(seen, s => Assert.Empty(s.Codes));
        Assert.Equal([1L, 2L], seen.Select(s => s.Line));
    }

    [Fact]
    public void Valid_last_line_without_newline_is_fine()
    {
        var seen = Read("{\"a\":1}\n{\"b\":2}");
        Assert.Equal(2, seen.Count);
        Assert.True(seen[1].HasRoot);
        Assert.Empty(seen[1].Codes);
    }

    [Fact]
    public void Invalid_json_is_reported_with_column_and_reading_goes_on()
    {
        var seen = Read("{\"a\":1}\n{\"a\":1,}\n{\"c\":3}\n");
        Assert.Equal([FindingCodes.InvalidJson], seen[1].Codes);
        Assert.False(seen[1].HasRoot);
        Assert.Equal(8, seen[1].Columns[0]); // the '}' after the trailing comma is byte 8
        Assert.True(seen[2].HasRoot);
    }

    [Fact]
    public void Truncated_last_line_is_its_own_code()
    {
        var seen = Read("{\"a\":1}\n{\"messages\":[{\"ro");
        Assert.Equal([FindingCodes.TruncatedLastLine], seen[1].Codes);
        // The same broken text followed by a newline is ordinary invalid JSON.
        Assert.Equal([FindingCodes.InvalidJson], Read("{\"a\":1}\n{\"messages\":[{\"ro\n")[1].Codes);
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_byte_column()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"a\":\"xx\"}\n").ToList();
        bytes.Insert(7, 0xFF);
        var seen = Read([.. bytes, .. "{\"b\":1}\n"u8.ToArray()]);
        Assert.Equal([FindingCodes.InvalidUtf8], seen[0].Codes);
        Assert.Equal(8, seen[0].Columns[0]);
        Assert.True(seen[1].HasRoot);
        Assert.Empty(Read("{\"a\":\"é\"}\n")[0].Codes);
    }

    [Theory]
    [InlineData("{\"a\":\"x\\ud800y\"}", 8)]              // a lone high surrogate
    [InlineData("{\"a\":\"\\udc00\"}", 7)]                // a lone low surrogate
    [InlineData("{\"a\":\"\\ud800\\u0041\"}", 7)]        // high followed by a non-surrogate escape
    [InlineData("{\"a\":\"\\ud800\\ud800\\udc00\"}", 7)] // two highs, then a low: the first is alone
    [InlineData("{\"\\ud800\":1}", 3)]                      // in a property name
    [InlineData("{\"a\":[\"ok\",\"\\uDBFF\"]}", 13)]       // upper-case hex, inside an array
    public void Lone_surrogate_escape_is_reported_with_its_column(string line, int column)
    {
        var seen = Read(line + "\n{\"b\":1}\n");
        Assert.Equal([FindingCodes.InvalidUnicodeEscape], seen[0].Codes);
        Assert.Equal(column, seen[0].Columns[0]);
        Assert.False(seen[0].HasRoot);
        Assert.True(seen[1].HasRoot);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud83d\\ude00\"}")]  // a surrogate pair is one character
    [InlineData("{\"a\":\"\\\\ud800\"}")]       // an escaped backslash, then the letters ud800
    [InlineData("{\"a\":\"\\u00e9\\n\\\\\"}")] // other escapes
    public void Well_formed_escapes_are_not_reported(string line)
    {
        var seen = Read(line + "\n");
        Assert.Empty(seen[0].Codes);
        Assert.True(seen[0].HasRoot);
    }

    [Fact]
    public void Bom_is_reported_and_the_line_still_parsed()
    {
        var seen = Read([0xEF, 0xBB, 0xBF, .. "{\"a\":1}\n"u8.ToArray()]);
        Assert.Equal([FindingCodes.Bom], seen[0].Codes);
        Assert.True(seen[0].HasRoot);
    }

    [Fact]
    public void Crlf_is_reported_per_line_and_the_line_still_parsed()
    {
        var seen = Read("{\"a\":1}\r\n{\"a\":2}\n");
        Assert.Equal([FindingCodes.CrlfLineEnding], seen[0].Codes);
        Assert.True(seen[0].HasRoot);
        Assert.Empty(seen[1].Codes);
    }

    [Fact]
    public void Blank_lines_are_reported()
    {
        var seen = Read("{\"a\":1}\n\n   \n{\"a\":2}\n");
        Assert.Equal(4, seen.Count);
        Assert.Equal([FindingCodes.BlankLine], seen[1].Codes);
        Assert.Equal([FindingCodes.BlankLine], seen[2].Codes);
        Assert.Empty(seen[3].Codes);
    }

    [Fact]
    public void Non_object_line_is_data_type()
    {
        var seen = Read("[1,2]\n\"s\"\n{\"a\":1}\n");
        Assert.Equal([FindingCodes.DataType], seen[0].Codes);
        Assert.Equal([FindingCodes.DataType], seen[1].Codes);
        Assert.Empty(seen[2].Codes);
    }

    [Fact]
    public void Over_long_line_is_skipped_and_counted_and_the_next_line_read()
    {
        var options = new JsonlReaderOptions { MaxLineBytes = 64 };
        var longLine = "{\"a\":\"" + new string('x', 100_000) + "\"}";
        var seen = Read("{\"a\":1}\n" + longLine + "\n{\"b\":2}\n" + longLine, options);
        Assert.Equal(4, seen.Count);
        Assert.Equal([FindingCodes.LineTooLong], seen[1].Codes);
        Assert.True(seen[2].HasRoot);
        Assert.Equal([FindingCodes.LineTooLong], seen[3].Codes);
        // Under a cap that fits, the same line parses.
        Assert.True(Read(longLine + "\n")[0].HasRoot);
    }

    [Fact]
    public void Lines_across_buffer_boundaries_parse()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 40; i++) sb.Append("{\"i\":").Append(i).Append(",\"t\":\"").Append(new string('y', 7_919 * (i % 13))).Append("\"}\n");
        var seen = Read(sb.ToString());
        Assert.Equal(40, seen.Count);
        Assert.All(seen, s => Assert.True(s.HasRoot && s.Codes.Length == 0));
    }

    [Fact]
    public void File_is_opened_read_only_and_left_unchanged()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "in.jsonl");
        File.WriteAllText(path, "{\"a\":1}\r\n\n{bad\n");
        var before = SHA256.HashData(File.ReadAllBytes(path));
        using (var other = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        using (var r = JsonlReader.Open(path))
        {
            Assert.Equal(3, r.ReadLines().Count());
        }
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
    }
}
