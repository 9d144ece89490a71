using System.Runtime.InteropServices;
using System.Text.Json;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Import;

/// <summary>One JSON record of an import source.</summary>
/// <param name="Number">1-based position: the array element, or the JSONL record.</param>
/// <param name="Line">1-based line for JSONL input, else null.</param>
/// <param name="Value">The record (valid until the next record is read for JSONL; clone it to keep it).</param>
public readonly record struct JsonRecord(long Number, long? Line, JsonElement Value);

/// <summary>
/// Streams the records of a JSON import file: a top-level JSON array (one element at a time, never the whole file
/// in memory), or JSONL (one object per line, read by <see cref="JsonlReader"/>, bad lines reported with their line
/// number). The form is told by the first non-blank character (<c>[</c> or <c>{</c>).
/// </summary>
public static class JsonRecordSource
{
    /// <summary>The records of <paramref name="path"/>; unreadable JSONL lines go to <paramref name="context"/>.</summary>
    /// <exception cref="DataFormatException">The array is not valid JSON (file:line:column), or the file is neither form.</exception>
    public static IEnumerable<JsonRecord> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(context);
        var first = FirstSignificantByte(path);
        return first switch
        {
            (byte)'[' => ReadArray(path, context),
            (byte)'{' => ReadLines(path, context),
            -1 => throw new DataFormatException($"{path}: the file is empty; expected a JSON array of records or JSONL."),
            _ => throw new DataFormatException($"{path}: the file starts with '{(char)first}', not '[' (a JSON array) or '{{' (JSONL); give a JSON or JSONL file."),
        };
    }

    private static int FirstSignificantByte(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        int b;
        var pos = 0;
        while ((b = fs.ReadByte()) >= 0)
        {
            pos++;
            if (pos <= 3 && b is 0xEF or 0xBB or 0xBF) continue; // UTF-8 BOM
            if (b is ' ' or '\t' or '\r' or '\n') continue;
            return b;
        }
        return -1;
    }

    private static IEnumerable<JsonRecord> ReadArray(string path, ImportContext context)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var options = new JsonSerializerOptions { MaxDepth = 64 };
        var items = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(fs, options).ToBlockingEnumerable();
        using var e = items.GetEnumerator();
        long n = 0;
        while (true)
        {
            try
            {
                if (!e.MoveNext()) yield break;
            }
            catch (JsonException ex)
            {
                var line = (ex.LineNumber ?? 0) + 1;
                var col = (ex.BytePositionInLine ?? 0) + 1;
                throw new DataFormatException($"{path}:{line}:{col}: invalid JSON after record {n}: {ex.Message} Fix the JSON (every record must be complete) and import again.", ex);
            }
            n++;
            // A lone surrogate escape ("\ud800") parses but throws when the string is read: report the record instead.
            if (JsonEscapes.FindLoneSurrogate(JsonMarshal.GetRawUtf8Value(e.Current)) >= 0)
            {
                context.Problem(n, null, $"record {n} holds a \\u escape that is half of a UTF-16 surrogate pair without its other half; no text can hold it. Remove the escape or write the whole character.");
                continue;
            }
            yield return new JsonRecord(n, null, e.Current);
        }
    }

    private static IEnumerable<JsonRecord> ReadLines(string path, ImportContext context)
    {
        using var reader = JsonlReader.Open(path);
        long n = 0;
        foreach (var line in reader.ReadLines())
        {
            if (line.Root is not { } root)
            {
                // Blank lines are harmless for an import: only the other errors count.
                var errors = line.Findings
                    .Where(f => f.Severity == Checks.FindingSeverity.Error && f.Code != Checks.FindingCodes.BlankLine).ToList();
                if (errors.Count == 0) continue;
                n++;
                context.Problem(n, line.LineNumber, string.Join(" ", errors.Select(f => f.Message + " " + f.Fix)));
                continue;
            }
            n++;
            yield return new JsonRecord(n, line.LineNumber, root);
        }
    }
}
