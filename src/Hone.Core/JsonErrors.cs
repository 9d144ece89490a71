using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hone.Core;

/// <summary>
/// System.Text.Json's exceptions in words a user can act on: "file:line:column: what is wrong", without .NET's
/// "Path: $ | LineNumber: 0 | BytePositionInLine: 49.", its type names or its advice about reader options. Readers of
/// user JSON or JSONL word their errors through here (the JSONL reader, every data example parser), and the CLI passes
/// every input-error message it prints through <see cref="Clean"/>, so a message built elsewhere loses the .NET text too.
/// </summary>
public static partial class JsonErrors
{
    /// <summary>
    /// "source:line:column: what is wrong". <paramref name="line"/> is the 1-based line of a JSONL file when one line
    /// was parsed (else the exception's line is used); <paramref name="text"/>, when given, is the text that was parsed,
    /// so the column counts characters rather than UTF-8 bytes.
    /// </summary>
    public static string Format(JsonException e, string source, long? line = null, string? text = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"{Where(e, source, line, text)}: {Describe(e)}";
    }

    /// <summary>"source:line:column" of the error (the column is left out when the exception has none).</summary>
    public static string Where(JsonException e, string source, long? line = null, string? text = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var lineInText = e.LineNumber ?? 0;
        var at = line ?? lineInText + 1;
        if (e.BytePositionInLine is not { } b) return string.Create(CultureInfo.InvariantCulture, $"{source}:{at}");
        var column = text is null ? b + 1 : CharColumn(text, lineInText, b) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{source}:{at}:{column}");
    }

    /// <summary>
    /// What is wrong, in words (no final period), with the JSON path when it points inside the value, e.g.
    /// "content must be a string or a list of parts, not a number (at $.messages[0].content)".
    /// </summary>
    public static string Describe(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var what = Clean(e.Message).TrimEnd('.');
        if (what.Length == 0) what = "invalid JSON";
        return e.Path is { Length: > 1 } path && !what.Contains(path, StringComparison.Ordinal) ? $"{what} (at {path})" : what;
    }

    /// <summary>
    /// Removes .NET's position text from a message (anywhere in it, e.g. where a JsonException's message was embedded
    /// in another) and rewords the System.Text.Json phrases that name .NET types or reader options.
    /// </summary>
    public static string Clean(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Contains("LineNumber:", StringComparison.Ordinal) && !message.Contains("JSON", StringComparison.Ordinal)
            && !message.Contains("Path: $", StringComparison.Ordinal))
            return message;
        var s = PositionRe().Replace(message, "");
        s = TrailingCommaRe().Replace(s, m => $"a trailing comma before '{(m.Groups[1].Value == "object" ? '}' : ']')}' (JSON allows none)");
        s = s.Replace("Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.",
            "the JSON ends before an object or array is closed: a '}' or ']' is not closed", StringComparison.Ordinal);
        s = NoTokensRe().Replace(s, "there is no JSON value (the text is empty)");
        s = DepthRe().Replace(s, m => $"the JSON is nested deeper than {m.Groups[1].Value} levels");
        // The type named is the member's, or (for a constructor parameter) the enclosing object's: only a System type says what was expected.
        s = ConvertRe().Replace(s, m => m.Groups[1].Value.StartsWith("System.", StringComparison.Ordinal)
            ? $"the value has the wrong type: expected {Kind(m.Groups[1].Value)}" : "the value has the wrong type");
        s = MissingRe().Replace(s, m => $"missing required field{(m.Groups[2].Value.Contains(',', StringComparison.Ordinal) ? "s" : "")} {m.Groups[2].Value}");
        s = UnmappedRe().Replace(s, m => $"unknown field '{m.Groups[1].Value}'");
        return s.Trim();
    }

    /// <summary>The JSON kind a .NET type reads: "a string", "a number", "true or false", "an array", "an object".</summary>
    private static string Kind(string dotNetType)
    {
        var t = dotNetType.Trim('\'', '.', ' ');
        if (t.StartsWith("System.Nullable`1[", StringComparison.Ordinal)) return Kind(t[18..^1]) + " or null";
        if (t.EndsWith("[]", StringComparison.Ordinal) || CollectionRe().IsMatch(t)) return "an array";
        if (t.Contains("Dictionary`2", StringComparison.Ordinal)) return "an object";
        var name = t[(t.LastIndexOf('.') + 1)..];
        return name switch
        {
            "String" or "Char" or "Guid" or "DateTime" or "DateTimeOffset" or "TimeSpan" or "Uri" => "a string",
            "Int16" or "Int32" or "Int64" or "UInt16" or "UInt32" or "UInt64" or "Byte" or "SByte" or "Single" or "Double" or "Decimal" or "Half" => "a number",
            "Boolean" => "true or false",
            "JsonElement" or "JsonNode" or "Object" => "a JSON value",
            "JsonObject" => "an object",
            "JsonArray" => "an array",
            _ => "a " + Words(name),
        };
    }

    /// <summary>"ChatMessage" → "chat message".</summary>
    private static string Words(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(pascal[i - 1])) sb.Append(' ');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The 0-based character column of a UTF-8 byte position on a (0-based) line of <paramref name="text"/>.</summary>
    private static long CharColumn(string text, long line, long bytePosition)
    {
        var start = 0;
        for (var l = 0L; l < line; l++)
        {
            var nl = text.IndexOf('\n', start);
            if (nl < 0) return bytePosition;
            start = nl + 1;
        }
        long bytes = 0;
        var i = start;
        while (i < text.Length && bytes < bytePosition && text[i] != '\n')
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { bytes += 4; i += 2; continue; }
            bytes += text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
            i++;
        }
        return i - start + Math.Max(0, bytePosition - bytes);
    }

    // " Path: $.a | LineNumber: 0 | BytePositionInLine: 49." and the forms without a path or without numbers.
    [GeneratedRegex(@"\s*(Path: [^|]*\|\s*)?LineNumber: \d* \| BytePositionInLine: \d*\.?|\s*Path: \$\S*\.$")]
    private static partial Regex PositionRe();

    [GeneratedRegex(@"The JSON (object|array) contains a trailing comma at the end which is not supported in this mode\. Change the reader options\.")]
    private static partial Regex TrailingCommaRe();

    [GeneratedRegex(@"The input does not contain any JSON tokens\. Expected the input to start with a valid JSON token,[^.]*\.")]
    private static partial Regex NoTokensRe();

    [GeneratedRegex(@"The maximum configured depth of (\d+) has been exceeded\. Cannot read next JSON (object|array)\.")]
    private static partial Regex DepthRe();

    [GeneratedRegex(@"The JSON value could not be converted to ([^ ]+?)\.(?=\s|$)")]
    private static partial Regex ConvertRe();

    [GeneratedRegex(@"JSON deserialization for type '([^']+)' was missing required properties,? including:? ([^.]*)\.")]
    private static partial Regex MissingRe();

    [GeneratedRegex(@"The JSON property '([^']*)' could not be mapped to any \.NET member contained in type '[^']*'\.")]
    private static partial Regex UnmappedRe();

    [GeneratedRegex(@"(List|IList|IReadOnlyList|ICollection|IReadOnlyCollection|IEnumerable|HashSet|ISet|ImmutableArray|Collection)`1")]
    private static partial Regex CollectionRe();
}
