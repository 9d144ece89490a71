namespace Hone.Data.Jsonl;

/// <summary>
/// Finds <c>\uXXXX</c> escapes in JSON text that name half of a UTF-16 surrogate pair without the other half
/// (<c>"\ud800"</c>). JSON parsers accept them, but no .NET string (and no valid UTF-8) can hold them: reading such a
/// value throws <see cref="InvalidOperationException"/>. Check a document with this before reading its strings.
/// </summary>
public static class JsonEscapes
{
    /// <summary>
    /// The index of the backslash of the first lone-surrogate escape in <paramref name="json"/> (UTF-8 JSON text), or
    /// −1 when there is none. A backslash can only occur inside strings of well-formed JSON, so the text is scanned
    /// escape by escape; an incomplete escape is left to the JSON parser to report.
    /// </summary>
    public static int FindLoneSurrogate(ReadOnlySpan<byte> json)
    {
        var i = 0;
        while (true)
        {
            var k = json[i..].IndexOf((byte)'\\');
            if (k < 0) return -1;
            i += k;
            var code = Escape(json, i);
            if (code < 0xD800 || code > 0xDFFF) { i += code < 0 ? 2 : 6; continue; }
            if (code >= 0xDC00 || Escape(json, i + 6) is < 0xDC00 or > 0xDFFF) return i;
            i += 12;
        }
    }

    /// <summary>The same scan over JSON text held as UTF-16 (a line read as a string).</summary>
    public static int FindLoneSurrogate(ReadOnlySpan<char> json)
    {
        var i = 0;
        while (true)
        {
            var k = json[i..].IndexOf('\\');
            if (k < 0) return -1;
            i += k;
            var code = Escape(json, i);
            if (code < 0xD800 || code > 0xDFFF) { i += code < 0 ? 2 : 6; continue; }
            if (code >= 0xDC00 || Escape(json, i + 6) is < 0xDC00 or > 0xDFFF) return i;
            i += 12;
        }
    }

    /// <summary>The code unit of a <c>\uXXXX</c> escape starting at <paramref name="at"/>; −1 for any other escape (or none).</summary>
    private static int Escape(ReadOnlySpan<byte> s, int at)
    {
        if (at + 6 > s.Length || s[at] != '\\' || s[at + 1] != 'u') return -1;
        var v = 0;
        for (var j = at + 2; j < at + 6; j++)
        {
            var d = HexDigit(s[j]);
            if (d < 0) return -1;
            v = (v << 4) | d;
        }
        return v;
    }

    private static int Escape(ReadOnlySpan<char> s, int at)
    {
        if (at + 6 > s.Length || s[at] != '\\' || s[at + 1] != 'u') return -1;
        var v = 0;
        for (var j = at + 2; j < at + 6; j++)
        {
            var d = s[j] < 128 ? HexDigit((byte)s[j]) : -1;
            if (d < 0) return -1;
            v = (v << 4) | d;
        }
        return v;
    }

    private static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
