using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Hone.Data.Checks;
using Hone.Core;

namespace Hone.Data.Jsonl;

/// <summary>
/// Streams a JSONL file line by line with bounded memory: at most one line (up to
/// <see cref="JsonlReaderOptions.MaxLineBytes"/>) is buffered, longer lines are skipped while being counted.
/// Every malformed line becomes a <see cref="DataFinding"/> with its 1-based line number and the rest of the file is
/// still read: invalid JSON (with column), invalid UTF-8, a BOM, CRLF endings, blank lines, a truncated last line,
/// a line that is not an object (<c>data_type</c>), a lone surrogate escape such as <c>"\ud800"</c> (which no string can
/// hold, so a reader of the value would throw), an over-long line. Files are opened read-only.
/// </summary>
public sealed class JsonlReader : IDisposable
{
    private static readonly DataFinding[] NoFindings = [];
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly JsonlReaderOptions _options;
    private bool _started;

    /// <summary>Reads from a stream; <paramref name="sourceName"/> names it in messages.</summary>
    public JsonlReader(Stream stream, string sourceName, JsonlReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        SourceName = sourceName ?? "<stream>";
        _options = options ?? new JsonlReaderOptions();
        _options.Validate();
        _leaveOpen = leaveOpen;
    }

    /// <summary>Opens a file read-only (others may read it at the same time).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static JsonlReader Open(string path, JsonlReaderOptions? options = null)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return new JsonlReader(fs, path, options);
    }

    /// <summary>The name used in messages.</summary>
    public string SourceName { get; }

    /// <summary>Bytes consumed so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// The lines in order. Each <see cref="JsonlLine.Root"/> is disposed when the enumeration moves on.
    /// Can be enumerated once.
    /// </summary>
    public IEnumerable<JsonlLine> ReadLines(CancellationToken cancellationToken = default)
    {
        if (_started) throw new InvalidOperationException("A JsonlReader can be enumerated only once.");
        _started = true;
        return Iterate(cancellationToken);
    }

    /// <summary>
    /// The lines in order, not yet parsed: each is handed to <see cref="Parse"/> (on any thread, once its bytes are
    /// copied out: the buffer is reused when the enumeration moves on). A line over the cap comes with its finding
    /// instead. Can be enumerated once, and not with <see cref="ReadLines"/>.
    /// </summary>
    internal IEnumerable<RawLine> ReadRawLines(CancellationToken cancellationToken = default)
    {
        if (_started) throw new InvalidOperationException("A JsonlReader can be enumerated only once.");
        _started = true;
        return IterateRaw(cancellationToken);
    }

    /// <summary>
    /// What <see cref="ReadLines"/> yields for the line held in <paramref name="buf"/> at <paramref name="offset"/>:
    /// its findings and, when it is a JSON object, its root, whose <paramref name="document"/> the caller disposes (the
    /// document reads <paramref name="buf"/>, which must not change until then). Thread-safe.
    /// </summary>
    internal JsonlLine Parse(byte[] buf, int offset, int length, long lineNumber, bool hasNewline, out JsonDocument? document)
    {
        var (line, doc) = Process(buf, offset, length, lineNumber, hasNewline, DocumentOptions);
        document = doc;
        return line;
    }

    private JsonDocumentOptions DocumentOptions => new() { MaxDepth = _options.MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private IEnumerable<JsonlLine> Iterate(CancellationToken ct)
    {
        var docOptions = DocumentOptions;
        foreach (var raw in IterateRaw(ct))
        {
            if (raw.TooLong is { } tooLong)
            {
                yield return tooLong;
                continue;
            }
            using var item = Process(raw.Buffer, raw.Offset, raw.Length, raw.LineNumber, raw.HasNewline, docOptions);
            yield return item.Line;
        }
    }

    private IEnumerable<RawLine> IterateRaw(CancellationToken ct)
    {
        var cap = _options.MaxLineBytes;
        var buf = new byte[Math.Min(1 << 16, cap + 2)];
        int start = 0, end = 0, scanFrom = 0;
        long lineNumber = 0;
        var eof = false;
        var skipping = false;
        long skippedBytes = 0;
        var raw = new RawLine();

        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var nl = buf.AsSpan(scanFrom, end - scanFrom).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var lineEnd = scanFrom + nl;
                lineNumber = checked(lineNumber + 1);
                if (skipping)
                {
                    skippedBytes += lineEnd - start;
                    yield return raw.Set(lineNumber, TooLong(lineNumber, skippedBytes, cap));
                    skipping = false;
                    skippedBytes = 0;
                }
                else
                {
                    yield return raw.Set(lineNumber, buf, start, lineEnd - start, hasNewline: true);
                }
                start = scanFrom = lineEnd + 1;
                continue;
            }

            if (eof)
            {
                if (skipping)
                {
                    lineNumber = checked(lineNumber + 1);
                    yield return raw.Set(lineNumber, TooLong(lineNumber, skippedBytes + (end - start), cap));
                }
                else if (end > start)
                {
                    lineNumber = checked(lineNumber + 1);
                    yield return raw.Set(lineNumber, buf, start, end - start, hasNewline: false);
                }
                yield break;
            }

            // Need more bytes. In skip mode, drop what has been scanned; otherwise compact, then grow up to the cap.
            if (skipping)
            {
                skippedBytes += end - start;
                start = end = scanFrom = 0;
            }
            else if (start > 0)
            {
                Buffer.BlockCopy(buf, start, buf, 0, end - start);
                end -= start;
                scanFrom -= start;
                start = 0;
            }

            if (!skipping && end == buf.Length)
            {
                if (buf.Length < cap + 2)
                {
                    Array.Resize(ref buf, (int)Math.Min((long)buf.Length * 2, cap + 2L));
                }
                else
                {
                    // The line is over the cap (plus room for CR): stop buffering it.
                    skipping = true;
                    skippedBytes = end;
                    start = end = scanFrom = 0;
                }
            }

            scanFrom = end;
            var n = _stream.Read(buf, end, buf.Length - end);
            if (n == 0) eof = true;
            else
            {
                end += n;
                BytesRead += n;
            }
        }
    }

    private DataFinding Finding(FindingSeverity severity, string code, long line, long? column, string message, string fix) =>
        new(severity, code, line, null, message, fix) { Column = column };

    private JsonlLine TooLong(long lineNumber, long bytes, int cap) =>
        new(lineNumber, bytes, null,
        [
            Finding(FindingSeverity.Error, FindingCodes.LineTooLong, lineNumber, null,
                $"{SourceName}:{lineNumber}: the line is {bytes:N0} bytes, over the {cap:N0}-byte cap; it was skipped.",
                "Shorten the example (or split it); if it is meant to be this long, raise the line cap."),
        ]);

    private ProcessedLine Process(byte[] buf, int offset, int length, long lineNumber, bool hasNewline, JsonDocumentOptions docOptions)
    {
        List<DataFinding>? findings = null;
        var byteLength = length;
        if (length > 0 && buf[offset + length - 1] == (byte)'\r')
        {
            length--;
            (findings ??= []).Add(Finding(FindingSeverity.Warning, FindingCodes.CrlfLineEnding, lineNumber, null,
                $"{SourceName}:{lineNumber}: the line ends with CR LF (Windows line ending).",
                "Save the file with LF line endings (e.g. `dos2unix FILE`)."));
        }
        if (lineNumber == 1 && length >= 3 && buf[offset] == 0xEF && buf[offset + 1] == 0xBB && buf[offset + 2] == 0xBF)
        {
            offset += 3;
            length -= 3;
            (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.Bom, lineNumber, 1,
                $"{SourceName}:1: the file starts with a UTF-8 byte-order mark (EF BB BF), which JSON parsers reject.",
                "Save the file as UTF-8 without BOM."));
        }

        var span = buf.AsSpan(offset, length);
        if (span.Trim(" \t\r"u8).IsEmpty)
        {
            (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.BlankLine, lineNumber, null,
                $"{SourceName}:{lineNumber}: the line is blank; every JSONL line must hold one JSON object.",
                "Delete the blank line."));
            return new ProcessedLine(new JsonlLine(lineNumber, byteLength, null, findings), null);
        }

        if (!Utf8.IsValid(span))
        {
            var column = FirstInvalidUtf8(span) + 1;
            (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.InvalidUtf8, lineNumber, column,
                $"{SourceName}:{lineNumber}:{column}: the line contains bytes that are not valid UTF-8.",
                "Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."));
            return new ProcessedLine(new JsonlLine(lineNumber, byteLength, null, findings), null);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(buf, offset, length), docOptions);
        }
        catch (JsonException e)
        {
            var column = (e.BytePositionInLine ?? 0) + 1;
            var detail = JsonErrors.Describe(e);
            if (!hasNewline)
            {
                (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.TruncatedLastLine, lineNumber, column,
                    $"{SourceName}:{lineNumber}:{column}: the last line has no newline and is not valid JSON ({detail}); the file looks cut off.",
                    "Regenerate or re-download the file; or delete the incomplete last line."));
            }
            else
            {
                (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.InvalidJson, lineNumber, column,
                    $"{SourceName}:{lineNumber}:{column}: invalid JSON: {detail}",
                    "Fix the JSON at that column (one complete JSON object per line, no trailing commas or comments)."));
            }
            return new ProcessedLine(new JsonlLine(lineNumber, byteLength, null, findings), null);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind.ToString().ToLowerInvariant();
            doc.Dispose();
            (findings ??= []).Add(new DataFinding(FindingSeverity.Error, FindingCodes.DataType, lineNumber, "$",
                $"{SourceName}:{lineNumber}: the line is a JSON {kind}, not an object.",
                "Make each line one JSON object, e.g. {\"messages\": [...]}."));
            return new ProcessedLine(new JsonlLine(lineNumber, byteLength, null, findings), null);
        }

        if (JsonEscapes.FindLoneSurrogate(span) is var lone and >= 0)
        {
            doc.Dispose();
            var column = lone + 1;
            var escape = Encoding.ASCII.GetString(span.Slice(lone, 6));
            (findings ??= []).Add(Finding(FindingSeverity.Error, FindingCodes.InvalidUnicodeEscape, lineNumber, column,
                $"{SourceName}:{lineNumber}:{column}: the escape {escape} is half of a UTF-16 surrogate pair without its other half; no text can hold it, so the line was skipped.",
                "Remove the escape, or write the whole character (\\uD800-\\uDBFF followed by \\uDC00-\\uDFFF); a tool that cut a string between the two halves wrote it."));
            return new ProcessedLine(new JsonlLine(lineNumber, byteLength, null, findings), null);
        }

        return new ProcessedLine(new JsonlLine(lineNumber, byteLength, doc.RootElement, (IReadOnlyList<DataFinding>?)findings ?? NoFindings), doc);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return i;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    private readonly struct ProcessedLine(JsonlLine line, JsonDocument? doc) : IDisposable
    {
        public JsonlLine Line { get; } = line;

        public void Dispose() => doc?.Dispose();

        public void Deconstruct(out JsonlLine l, out JsonDocument? d) => (l, d) = (Line, doc);
    }
}

/// <summary>
/// A line of <see cref="JsonlReader.ReadRawLines"/>: its number and where its bytes are (in a buffer the reader reuses:
/// valid until the enumeration moves on), whether a newline ended it; or, for a line over the cap, its
/// <see cref="TooLong"/> line. One instance, refilled for each line.
/// </summary>
internal sealed class RawLine
{
    public long LineNumber { get; private set; }

    public byte[] Buffer { get; private set; } = [];

    public int Offset { get; private set; }

    public int Length { get; private set; }

    public bool HasNewline { get; private set; }

    /// <summary>The finding line of a line over the cap (its bytes were skipped); null otherwise.</summary>
    public JsonlLine? TooLong { get; private set; }

    internal RawLine Set(long lineNumber, byte[] buffer, int offset, int length, bool hasNewline)
    {
        (LineNumber, Buffer, Offset, Length, HasNewline, TooLong) = (lineNumber, buffer, offset, length, hasNewline, null);
        return this;
    }

    internal RawLine Set(long lineNumber, JsonlLine tooLong)
    {
        (LineNumber, Buffer, Offset, Length, HasNewline, TooLong) = (lineNumber, [], 0, 0, false, tooLong);
        return this;
    }
}
