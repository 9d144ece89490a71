using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Hone.Data.Jsonl;

namespace Hone.Server;

/// <summary>
/// Checks that every string of a request body (values and keys) is text: valid UTF-8 with no lone surrogate escape
/// (<c>"\ud800"</c>). The JSON parser lets both through, but reading such a string throws, so each is a 400 naming the
/// field here, before anything reads the body.
/// </summary>
internal static class RequestText
{
    /// <summary>Throws an <see cref="OpenAiError"/> (400, param = the field's path) at the first string that is not text.</summary>
    public static void Check(JsonElement body) => Walk(body, "");

    private static void Walk(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                CheckRaw(JsonMarshal.GetRawUtf8Value(e), path.Length == 0 ? "the body" : path, path);
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    var where = path.Length == 0 ? "the body" : path;
                    CheckRaw(JsonMarshal.GetRawUtf8PropertyName(p), $"a key of {where}", path.Length == 0 ? null : path);
                    Walk(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}");
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, $"{path}[{i++}]");
                }

                break;
        }
    }

    /// <summary><paramref name="raw"/>: the token as sent (a string value with its quotes, or a key without them).</summary>
    private static void CheckRaw(ReadOnlySpan<byte> raw, string what, string? param)
    {
        var shown = param is null ? what : $"'{param}'";
        if (!Utf8.IsValid(raw))
        {
            throw new OpenAiError(400,
                $"{shown} is not valid UTF-8 (byte 0x{raw[FirstInvalid(raw)]:X2}); send the request body as UTF-8 text.",
                param: param, code: "invalid_text");
        }

        if (JsonEscapes.FindLoneSurrogate(raw) is var at and >= 0)
        {
            var escape = Encoding.ASCII.GetString(raw.Slice(at, Math.Min(6, raw.Length - at)));
            throw new OpenAiError(400,
                $"{shown} holds the escape {escape}, half of a UTF-16 surrogate pair without its other half, which no text can hold; send whole characters (\\uD800-\\uDBFF followed by \\uDC00-\\uDFFF).",
                param: param, code: "invalid_text");
        }
    }

    private static int FirstInvalid(ReadOnlySpan<byte> raw)
    {
        var i = 0;
        while (i < raw.Length)
        {
            if (Rune.DecodeFromUtf8(raw[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return 0;
    }
}
