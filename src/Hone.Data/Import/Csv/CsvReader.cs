using System.Text;
using Hone.Data.Model;

namespace Hone.Data.Import.Csv;

/// <summary>Limits and dialect of the <see cref="CsvReader"/>.</summary>
public sealed record CsvReaderOptions
{
    /// <summary>Field separator: ',' for CSV, '\t' for TSV. Must not be a quote, CR or LF.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>A field longer than this many characters is an error (it usually means an unclosed quote). Default 4 Mi.</summary>
    public int MaxFieldChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>A record with more fields than this is an error. Default 4,096.</summary>
    public int MaxColumns { get; init; } = 4096;

    /// <summary>Throws <see cref="ArgumentException"/> naming the invalid setting.</summary>
    public void Validate()
    {
        if (Delimiter is '"' or '\r' or '\n')
            throw new ArgumentException($"CSV delimiter {(int)Delimiter:x4} cannot be a quote or a line break: use ',' or '\\t'.", nameof(Delimiter));
        if (MaxFieldChars < 1) throw new ArgumentException($"MaxFieldChars {MaxFieldChars} must be positive.", nameof(MaxFieldChars));
        if (MaxColumns < 1) throw new ArgumentException($"MaxColumns {MaxColumns} must be positive.", nameof(MaxColumns));
    }
}

/// <summary>One CSV record.</summary>
/// <param name="Number">1-based record number in the file, counting the header and not counting blank lines.</param>
/// <param name="Line">1-based line on which the record starts (a quoted field may span lines).</param>
/// <param name="Fields">The field values, unquoted.</param>
public sealed record CsvRecord(long Number, long Line, IReadOnlyList<string> Fields);

/// <summary>
/// Streams RFC 4180 records: fields separated by the delimiter; records end at CRLF, LF or a lone CR; a field that
/// starts with a double quote runs to the matching quote, may hold delimiters and line breaks, and writes a quote as
/// two quotes. A quote inside an unquoted field is kept as a literal character (common in real files, e.g. <c>5" disk</c>).
/// A UTF-8 byte-order mark at the start is skipped; blank lines are skipped. Input must be UTF-8.
/// Errors are <see cref="DataFormatException"/>s whose message starts with <c>file:line:column</c>: an unclosed quote,
/// text after a closing quote, invalid UTF-8, a field or record over the limits. The reader holds one record in memory.
/// </summary>
public sealed class CsvReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly CsvReaderOptions _options;
    private readonly char[] _buffer = new char[1 << 16];
    private int _pos;
    private int _len;
    private long _line = 1;
    private long _col;
    private bool _started;

    /// <summary>Reads from a text reader; <paramref name="sourceName"/> names the input in messages.</summary>
    public CsvReader(TextReader reader, string sourceName, CsvReaderOptions? options = null)
    {
        _reader = reader ?? throw new ArgumentNullException(nameof(reader));
        SourceName = sourceName ?? "<csv>";
        _options = options ?? new CsvReaderOptions();
        _options.Validate();
    }

    /// <summary>Opens a file read-only as strict UTF-8 (invalid bytes are an error).</summary>
    public static CsvReader Open(string path, CsvReaderOptions? options = null)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var sr = new StreamReader(fs, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, 1 << 16);
        return new CsvReader(sr, path, options);
    }

    /// <summary>The name used in messages.</summary>
    public string SourceName { get; }

    /// <summary>Blank lines skipped so far.</summary>
    public long BlankLines { get; private set; }

    /// <summary>The records in order; can be enumerated once.</summary>
    /// <exception cref="DataFormatException">The file breaks the CSV rules; the message gives file:line:column.</exception>
    public IEnumerable<CsvRecord> ReadRecords()
    {
        if (_started) throw new InvalidOperationException("A CsvReader can be enumerated only once.");
        _started = true;
        return Iterate();
    }

    private IEnumerable<CsvRecord> Iterate()
    {
        if (Peek() == '\uFEFF') Next();
        _col = 0;
        long number = 0;
        var fields = new List<string>();
        var sb = new StringBuilder();
        while (true)
        {
            var startLine = _line;
            if (!ReadRecord(fields, sb, out var blank)) yield break;
            if (blank)
            {
                BlankLines++;
                continue;
            }
            number++;
            yield return new CsvRecord(number, startLine, fields.ToArray());
        }
    }

    private bool ReadRecord(List<string> fields, StringBuilder sb, out bool blank)
    {
        fields.Clear();
        blank = false;
        if (Peek() < 0) return false;
        var anyQuoted = false;
        while (true)
        {
            sb.Clear();
            var c = Next();
            if (c == '"')
            {
                anyQuoted = true;
                var openLine = _line;
                var openCol = _col;
                while (true)
                {
                    c = Next();
                    if (c < 0)
                        throw Error(openLine, openCol, "a quoted field is never closed (the file ends inside it)",
                            "close the field with a double quote; write a quote inside a quoted field as two quotes (\"\")");
                    if (c == '"')
                    {
                        if (Peek() == '"') { Next(); Append(sb, '"'); continue; }
                        break;
                    }
                    Append(sb, (char)c);
                }
                c = Next();
                if (c == _options.Delimiter) { AddField(fields, sb); continue; }
                if (c == '\r' && Peek() == '\n') Next();
                if (c is '\r' or '\n' or < 0) { AddField(fields, sb); return true; }
                throw Error(_line, _col, $"unexpected character '{(char)c}' after the closing quote of a field",
                    "put the delimiter or a line break right after the closing quote, or double every quote inside the field (\"\")");
            }
            while (true)
            {
                if (c == _options.Delimiter) { AddField(fields, sb); break; }
                if (c == '\r' && Peek() == '\n') Next();
                if (c is '\r' or '\n' or < 0)
                {
                    AddField(fields, sb);
                    blank = fields.Count == 1 && fields[0].Length == 0 && !anyQuoted;
                    return true;
                }
                Append(sb, (char)c);
                c = Next();
            }
        }
    }

    private void Append(StringBuilder sb, char c)
    {
        if (sb.Length >= _options.MaxFieldChars)
            throw Error(_line, _col, $"a field is longer than {_options.MaxFieldChars:N0} characters",
                "check for an unclosed quote before this point, or raise MaxFieldChars");
        sb.Append(c);
    }

    private void AddField(List<string> fields, StringBuilder sb)
    {
        if (fields.Count >= _options.MaxColumns)
            throw Error(_line, _col, $"a record has more than {_options.MaxColumns:N0} fields",
                "check the delimiter (TSV files need a tab delimiter), or raise MaxColumns");
        fields.Add(sb.ToString());
    }

    private DataFormatException Error(long line, long col, string what, string fix) =>
        new($"{SourceName}:{line}:{col}: {what}; {fix}.");

    private int Peek()
    {
        if (_pos >= _len && !Fill()) return -1;
        return _buffer[_pos];
    }

    private int Next()
    {
        if (_pos >= _len && !Fill()) return -1;
        var c = _buffer[_pos++];
        if (c == '\n' || (c == '\r' && Peek() != '\n'))
        {
            _line++;
            _col = 0;
        }
        else
        {
            _col++;
        }
        return c;
    }

    private bool Fill()
    {
        try
        {
            _len = _reader.Read(_buffer, 0, _buffer.Length);
        }
        catch (DecoderFallbackException e)
        {
            throw new DataFormatException(
                $"{SourceName}:{_line}: the file is not valid UTF-8 (at or after line {_line}, column {_col}); save it as UTF-8 and import again.", e);
        }
        _pos = 0;
        return _len > 0;
    }

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();
}
