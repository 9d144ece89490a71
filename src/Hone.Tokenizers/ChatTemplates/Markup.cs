using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// MarkupSafe's <c>Markup</c> as Jinja2 uses it with autoescape off (Hugging Face's setting): <c>|safe</c> and
/// <c>|escape</c> make one, and a plain str meeting it through <c>+</c> (either side), <c>join</c>, <c>format</c>,
/// <c>replace</c>'s new text or a fill char is escaped first (markupsafe 3.0.3 <c>__add__</c>, <c>__radd__</c>, ...).
/// Everything else prints a Markup as its text. A Markup is a <see cref="TrackedString"/> with
/// <see cref="TrackedString.IsMarkup"/> set, so every str operation still sees a str; escaping moves the provenance
/// of message text onto the escaped characters.
/// </summary>
internal static class Markup
{
    public static bool Is(object? v) => v is TrackedString { IsMarkup: true };

    /// <summary><c>Markup(v)</c>, the <c>safe</c> filter: the str of the value, marked safe, nothing escaped.</summary>
    public static TrackedString Safe(object? v) => v switch
    {
        TrackedString { IsMarkup: true } m => m,
        TrackedString t => new TrackedString(t.Text, t.Segs, isMarkup: true),
        _ => new TrackedString(Py.StrOf(v), [], isMarkup: true),
    };

    /// <summary>
    /// <c>markupsafe.escape(v)</c>: a Markup stays as it is; anything else is str()-ed with &amp; &lt; &gt; " '
    /// written as &amp;amp; &amp;lt; &amp;gt; &amp;#34; &amp;#39;.
    /// </summary>
    public static TrackedString Escape(object? v) => v is TrackedString { IsMarkup: true } m ? m : ForceEscape(v);

    /// <summary>The <c>forceescape</c> filter: escapes the text even when it is already a Markup.</summary>
    public static TrackedString ForceEscape(object? v)
    {
        var text = Py.StrOf(v);
        var sb = new StringBuilder(text.Length + 16);
        var at = new int[text.Length + 1];
        for (var i = 0; i < text.Length; i++)
        {
            at[i] = sb.Length;
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&#34;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: sb.Append(c); break;
            }
        }
        at[text.Length] = sb.Length;
        var segs = v is TrackedString t ? t.Segs.Select(g => g with { Start = at[g.Start], End = at[g.End] }).ToArray() : [];
        return new TrackedString(sb.ToString(), segs, isMarkup: true);
    }

    /// <summary>
    /// <c>a + b</c> where either side is a Markup: Markup + str escapes the str (<c>__add__</c>), str + Markup escapes
    /// it too (<c>__radd__</c>, tried first as Markup subclasses str); with anything but a str it is a TypeError.
    /// </summary>
    public static TrackedString Add(object? a, object? b)
    {
        if (!Py.IsStr(a) || !Py.IsStr(b))
            throw new TemplateError($"TypeError: unsupported operand type(s) for +: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
        return Safe(TrackedString.Concat(Escape(a), Escape(b)));
    }

    /// <summary>The result of a str method called on a Markup is a Markup again (plain str otherwise).</summary>
    public static object KeepIf(bool markup, object result) => markup && Py.IsStr(result) ? Safe(result) : result;

    /// <summary>An argument a Markup method escapes (replace's new text, a fill char), as plain text to use.</summary>
    public static string EscapedArg(bool markup, string arg) => markup ? Escape(arg).Text : arg;
}
