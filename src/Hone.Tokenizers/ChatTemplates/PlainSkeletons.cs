using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// The text of plain conversations (every message an object of exactly <c>role</c> and <c>content</c>, both strings; no
/// tools) under a template that treats contents as opaque (<see cref="ContentOpacity"/>): rendered once per shape (the
/// roles in order, which contents are empty, the key order, the flags) with a placeholder for each content, then written
/// for each conversation by putting its contents in the placeholders' places. The text is the one a full render gives
/// (<see cref="ChatTemplate.RenderTextFull"/>, its twin): the template's choices can depend only on what the shape
/// holds. A shape whose render fails is remembered as such (the full render then fails as it always did); past
/// <see cref="MaxShapes"/> shapes, new ones are rendered in full. Thread-safe.
/// </summary>
internal sealed class PlainSkeletons
{
    /// <summary>Most shapes kept per template.</summary>
    public const int MaxShapes = 4096;

    /// <summary>Longest conversation (in messages) that is given a shape.</summary>
    public const int MaxMessages = 512;

    private static readonly string[] KnownRoles = ["system", "user", "assistant", "developer", "tool"];

    private readonly ConcurrentDictionary<string, Skeleton?> _shapes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Skeleton?>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public PlainSkeletons() => _lookup = _shapes.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// A shape's text: <c>Literals[0]</c>, then for each i content <c>Contents[i]</c> and <c>Literals[i + 1]</c>.
    /// </summary>
    internal sealed record Skeleton(string[] Literals, int[] Contents);

    /// <summary>Shapes known (rendered, or failed).</summary>
    public int Count => _shapes.Count;

    /// <summary>
    /// The text of <paramref name="messages"/> when they are plain (see the type) and their shape renders, else false
    /// (the caller renders in full). <paramref name="render"/> renders message dicts in full (used once per shape).
    /// </summary>
    public bool TryRender(JsonElement messages, bool addGenerationPrompt, string bos, string eos, int maxOutputChars,
        Func<List<object?>, string> render, out string? text)
    {
        text = null;
        if (messages.ValueKind != JsonValueKind.Array) return false;
        var n = messages.GetArrayLength();
        if (n > MaxMessages) return false;
        var contents = ArrayPool<string>.Shared.Rent(Math.Max(n, 1));
        var key = ArrayPool<char>.Shared.Rent(32 + bos.Length + eos.Length + (n * 8)); // 32: the flag and both lengths' digits and colons (at most 23)
        try
        {
            var at = 0;
            void Put(char c) => key[at++] = c;
            void PutText(string s)
            {
                foreach (var d in s.Length.ToString(CultureInfo.InvariantCulture)) Put(d);
                Put(':');
                s.CopyTo(key.AsSpan(at));
                at += s.Length;
            }
            Put(addGenerationPrompt ? 'g' : 'n');
            PutText(bos);
            PutText(eos);
            var i = 0;
            string?[]? roles = null; // the roles no code stands for
            foreach (var m in messages.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) return false;
                JsonElement role = default, content = default;
                var k = 0;
                var roleFirst = false;
                foreach (var p in m.EnumerateObject())
                {
                    if (p.NameEquals("role") && role.ValueKind == JsonValueKind.Undefined) { role = p.Value; roleFirst = k == 0; }
                    else if (p.NameEquals("content") && content.ValueKind == JsonValueKind.Undefined) content = p.Value;
                    else return false;
                    k++;
                }
                if (role.ValueKind != JsonValueKind.String || content.ValueKind != JsonValueKind.String) return false;
                var c = contents[i] = content.GetString()!;
                var code = -1;
                for (var r = 0; r < KnownRoles.Length && code < 0; r++)
                    if (role.ValueEquals(KnownRoles[r])) code = r;
                if (key.Length - at < 4) return false;
                Put(roleFirst ? 'r' : 'c');
                Put(c.Length == 0 ? 'e' : 'f');
                if (code >= 0)
                {
                    Put((char)('0' + code));
                }
                else
                {
                    var name = role.GetString()!;
                    (roles ??= new string?[n])[i] = name;
                    if (key.Length - at < name.Length + 16) return false;
                    Put('*');
                    PutText(name);
                }
                i++;
            }

            if (!_lookup.TryGetValue(key.AsSpan(0, at), out var skeleton))
            {
                if (_shapes.Count >= MaxShapes) return false;
                skeleton = Build(messages, n, contents, roles, render);
                _shapes.TryAdd(new string(key, 0, at), skeleton);
            }
            if (skeleton is null) return false;
            return Write(skeleton, contents, maxOutputChars, out text);
        }
        finally
        {
            Array.Clear(contents, 0, n);
            ArrayPool<string>.Shared.Return(contents);
            ArrayPool<char>.Shared.Return(key);
        }
    }

    /// <summary>
    /// The shape rendered with a placeholder for each non-empty content, split at the placeholders; null when the render
    /// fails. It is rendered twice, with the placeholders numbered from 0 and from n: a bracket the template wrote by
    /// itself (from a role, a special token, a filter) would not move with them, and the shape is then rendered in full.
    /// </summary>
    private static Skeleton? Build(JsonElement messages, int n, string[] contents, string?[]? roles, Func<List<object?>, string> render)
    {
        var a = Build(messages, n, contents, roles, render, 0);
        if (a is null) return null;
        var b = Build(messages, n, contents, roles, render, n);
        return b is not null && a.Literals.AsSpan().SequenceEqual(b.Literals) && a.Contents.AsSpan().SequenceEqual(b.Contents) ? a : null;
    }

    private static Skeleton? Build(JsonElement messages, int n, string[] contents, string?[]? roles, Func<List<object?>, string> render, int first)
    {
        var dicts = new List<object?>(n);
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            var d = new PyDict();
            foreach (var p in m.EnumerateObject())
            {
                if (p.NameEquals("role")) d.Set("role", roles?[i] ?? p.Value.GetString());
                else d.Set("content", contents[i].Length == 0 ? "" : Placeholder(first + i));
            }
            dicts.Add(d);
            i++;
        }
        string rendered;
        try
        {
            rendered = render(dicts);
        }
        catch (ChatTemplateException)
        {
            return null; // remembered: this shape is rendered in full, which fails as it always did
        }

        var literals = new List<string>();
        var indices = new List<int>();
        var from = 0;
        for (var at = rendered.IndexOf(ContentOpacity.Open); at >= 0; at = rendered.IndexOf(ContentOpacity.Open, from))
        {
            var close = rendered.IndexOf(ContentOpacity.Close, at + 1);
            if (close < 0 || !int.TryParse(rendered.AsSpan(at + 1, close - at - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || (index -= first) < 0 || index >= n || contents[index].Length == 0)
                return null; // not a placeholder as written: render in full
            literals.Add(rendered[from..at]);
            indices.Add(index);
            from = close + 1;
        }
        if (rendered.IndexOf(ContentOpacity.Close, from) >= 0) return null;
        literals.Add(rendered[from..]);
        return new Skeleton([.. literals], [.. indices]);
    }

    private static string Placeholder(int i) => string.Create(CultureInfo.InvariantCulture, $"{ContentOpacity.Open}{i}{ContentOpacity.Close}");

    private static bool Write(Skeleton skeleton, string[] contents, int maxOutputChars, out string? text)
    {
        text = null;
        long length = 0;
        foreach (var l in skeleton.Literals) length += l.Length;
        foreach (var c in skeleton.Contents) length += contents[c].Length;
        if (length > maxOutputChars) return false; // the full render fails at its limit
        text = string.Create((int)length, (skeleton, contents), static (span, state) =>
        {
            var (s, cs) = state;
            var at = 0;
            s.Literals[0].CopyTo(span);
            at += s.Literals[0].Length;
            for (var i = 0; i < s.Contents.Length; i++)
            {
                var c = cs[s.Contents[i]];
                c.CopyTo(span[at..]);
                at += c.Length;
                var l = s.Literals[i + 1];
                l.CopyTo(span[at..]);
                at += l.Length;
            }
        });
        return true;
    }
}
