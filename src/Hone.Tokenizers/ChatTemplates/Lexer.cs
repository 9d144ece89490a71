using System.Globalization;
using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

internal enum Tk { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof }

internal readonly record struct Token(Tk Kind, string Text, int Pos, object? Value = null);

/// <summary>
/// Splits a template into data and tag tokens with Hugging Face's settings: trim_blocks and lstrip_blocks on,
/// whitespace control with <c>-</c> and <c>+</c>, comments dropped, newlines normalized as Jinja2 does.
/// </summary>
internal sealed class Lexer
{
    private const int MaxTokens = 2_000_000;
    private static readonly string[] Ops =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"];

    private readonly string _src;
    private readonly SourceInfo _info;
    private readonly List<Token> _out = [];

    private Lexer(string src, SourceInfo info)
    {
        _src = src;
        _info = info;
    }

    /// <summary>Normalizes newlines like Python's splitlines + "\n".join (drops one trailing newline).</summary>
    public static string Normalize(string source)
    {
        var sb = new StringBuilder(source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (c == '\r')
            {
                if (i + 1 < source.Length && source[i + 1] == '\n') i++;
                sb.Append('\n');
            }
            else if (c is '\n' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029') sb.Append('\n');
            else sb.Append(c);
        }
        if (sb.Length > 0 && sb[^1] == '\n') sb.Length--;
        return sb.ToString();
    }

    public static List<Token> Tokenize(string normalized, SourceInfo info)
    {
        var lx = new Lexer(normalized, info);
        lx.Run();
        return lx._out;
    }

    private TemplateErrorAt Err(int pos, string msg) => new(pos, msg);

    private void Add(Token t)
    {
        if (_out.Count >= MaxTokens) throw Err(t.Pos, $"template has more than {MaxTokens} tokens; it is too large to be a chat template");
        _out.Add(t);
    }

    private void Run()
    {
        var pos = 0;
        var n = _src.Length;
        while (pos < n)
        {
            var idx = NextTag(pos);
            if (idx < 0)
            {
                Add(new Token(Tk.Data, _src[pos..], pos));
                break;
            }
            var text = _src[pos..idx];
            var kind = _src[idx + 1];
            var ctl = idx + 2 < n ? _src[idx + 2] : '\0';
            if (ctl == '-') text = text.TrimEnd();
            else if (ctl != '+' && kind != '{')
            {
                var l = text.LastIndexOf('\n') + 1;
                var lineStarting = pos == 0 || _src[pos - 1] == '\n';
                if ((l > 0 || lineStarting) && l < text.Length && text.AsSpan(l).IsWhiteSpace()) text = text[..l];
            }
            if (text.Length > 0) Add(new Token(Tk.Data, text, pos));
            var inner = idx + 2 + (ctl is '-' or '+' ? 1 : 0);
            if (kind == '#')
            {
                var j = _src.IndexOf("#}", inner, StringComparison.Ordinal);
                if (j < 0) throw Err(idx, "comment '{#' is never closed; add '#}'");
                pos = AfterEnd(j + 2, j > inner && _src[j - 1] == '-', j > inner && _src[j - 1] == '+');
                continue;
            }
            if (kind == '%' && TryRaw(idx, inner, out var rawEnd)) { pos = rawEnd; continue; }
            Add(new Token(kind == '{' ? Tk.VarBegin : Tk.BlockBegin, _src[idx..inner], idx));
            pos = LexTag(inner, kind == '{' ? '}' : '%', idx);
        }
        Add(new Token(Tk.Eof, "", n));
    }

    private int NextTag(int from)
    {
        var i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            var c = _src[i + 1];
            if (c is '{' or '%' or '#') return i;
            i++;
        }
    }

    private int AfterEnd(int end, bool strip, bool keep)
    {
        if (strip)
        {
            while (end < _src.Length && char.IsWhiteSpace(_src[end])) end++;
        }
        else if (!keep && end < _src.Length && _src[end] == '\n') end++;
        return end;
    }

    private bool TryRaw(int idx, int inner, out int end)
    {
        end = 0;
        var p = SkipWs(inner);
        if (string.CompareOrdinal(_src, p, "raw", 0, 3) != 0) return false;
        p = SkipWs(p + 3);
        var strip = p < _src.Length && _src[p] == '-';
        if (strip) p++;
        if (string.CompareOrdinal(_src, p, "%}", 0, 2) != 0) return false;
        var bodyStart = AfterEnd(p + 2, strip, false);
        var search = bodyStart;
        while (true)
        {
            var j = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (j < 0) throw Err(idx, "'{% raw %}' is never closed; add '{% endraw %}'");
            var q = j + 2;
            var ctl = q < _src.Length ? _src[q] : '\0';
            if (ctl is '-' or '+') q++;
            q = SkipWs(q);
            if (string.CompareOrdinal(_src, q, "endraw", 0, 6) == 0)
            {
                q = SkipWs(q + 6);
                var s2 = q < _src.Length && _src[q] == '-';
                if (s2) q++;
                if (string.CompareOrdinal(_src, q, "%}", 0, 2) == 0)
                {
                    var body = _src[bodyStart..j];
                    if (ctl == '-') body = body.TrimEnd();
                    if (body.Length > 0) Add(new Token(Tk.Data, body, bodyStart));
                    end = AfterEnd(q + 2, s2, false);
                    return true;
                }
            }
            search = j + 2;
        }
    }

    private int SkipWs(int p)
    {
        while (p < _src.Length && char.IsWhiteSpace(_src[p])) p++;
        return p;
    }

    private int LexTag(int p, char close, int tagStart)
    {
        var depth = 0;
        var n = _src.Length;
        while (true)
        {
            p = SkipWs(p);
            if (p >= n) throw Err(tagStart, close == '}' ? "'{{' is never closed; add '}}'" : "'{%' is never closed; add '%}'");
            var c = _src[p];
            if (depth == 0)
            {
                var strip = c == '-' && p + 2 < n && _src[p + 1] == close && _src[p + 2] == '}';
                var keep = c == '+' && close == '%' && p + 2 < n && _src[p + 1] == close && _src[p + 2] == '}';
                if (strip || keep || (c == close && p + 1 < n && _src[p + 1] == '}'))
                {
                    var len = strip || keep ? 3 : 2;
                    Add(new Token(close == '}' ? Tk.VarEnd : Tk.BlockEnd, _src.Substring(p, len), p));
                    var end = p + len;
                    if (close == '}') return strip ? AfterEnd(end, true, false) : end;
                    return AfterEnd(end, strip, keep);
                }
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var s = p;
                while (p < n && (char.IsAsciiLetterOrDigit(_src[p]) || _src[p] == '_')) p++;
                Add(new Token(Tk.Name, _src[s..p], s));
                continue;
            }
            if (char.IsAsciiDigit(c)) { p = LexNumber(p); continue; }
            if (c is '\'' or '"') { p = LexString(p); continue; }
            var op = Ops.FirstOrDefault(o => string.CompareOrdinal(_src, p, o, 0, o.Length) == 0);
            if (op is null) throw Err(p, $"unexpected character '{c}' inside a tag");
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}")
            {
                if (depth == 0) throw Err(p, $"unexpected '{op}'");
                depth--;
            }
            Add(new Token(Tk.Op, op, p));
            p += op.Length;
        }
    }

    private int LexNumber(int p)
    {
        var s = p;
        var n = _src.Length;
        while (p < n && (char.IsAsciiDigit(_src[p]) || _src[p] == '_')) p++;
        var isFloat = false;
        if (p + 1 < n && _src[p] == '.' && char.IsAsciiDigit(_src[p + 1]))
        {
            isFloat = true;
            p++;
            while (p < n && (char.IsAsciiDigit(_src[p]) || _src[p] == '_')) p++;
        }
        if (p < n && (_src[p] is 'e' or 'E'))
        {
            var q = p + 1;
            if (q < n && _src[q] is '+' or '-') q++;
            if (q < n && char.IsAsciiDigit(_src[q]))
            {
                isFloat = true;
                p = q;
                while (p < n && char.IsAsciiDigit(_src[p])) p++;
            }
        }
        var text = _src[s..p].Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            Add(new Token(Tk.Float, text, s, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        else
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw Err(s, $"integer literal {text} is too large (at most {long.MaxValue})");
            Add(new Token(Tk.Int, text, s, v));
        }
        return p;
    }

    private int LexString(int p)
    {
        var q = _src[p];
        var s = p;
        p++;
        var sb = new StringBuilder();
        while (true)
        {
            if (p >= _src.Length) throw Err(s, $"string literal is never closed; add the closing {q}");
            var c = _src[p];
            if (c == q) { p++; break; }
            if (c != '\\') { sb.Append(c); p++; continue; }
            if (p + 1 >= _src.Length) throw Err(s, $"string literal is never closed; add the closing {q}");
            var e = _src[p + 1];
            p += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                {
                    var v = e - '0';
                    for (var k = 0; k < 2 && p < _src.Length && _src[p] is >= '0' and <= '7'; k++, p++) v = v * 8 + (_src[p] - '0');
                    sb.Append((char)v);
                    break;
                }
                case 'x': p = Hex(sb, p, 2, s); break;
                case 'u': p = Hex(sb, p, 4, s); break;
                case 'U': p = Hex(sb, p, 8, s); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(new Token(Tk.String, _src[s..p], s, sb.ToString()));
        return p;
    }

    private int Hex(StringBuilder sb, int p, int digits, int s)
    {
        if (p + digits > _src.Length || !int.TryParse(_src.AsSpan(p, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) || v > 0x10FFFF)
            throw Err(s, $"bad \\{(digits == 2 ? 'x' : digits == 4 ? 'u' : 'U')} escape in string literal; write {digits} hex digits");
        sb.Append(char.ConvertFromUtf32(v is >= 0xD800 and <= 0xDFFF ? 0xFFFD : v));
        return p + digits;
    }

    internal SourceInfo Info => _info;
}

/// <summary>A located error raised by the lexer, parser or evaluator before it becomes a ChatTemplateException.</summary>
internal sealed class TemplateErrorAt : Exception
{
    public TemplateErrorAt(int pos, string message, bool raised = false) : base(message) { Pos = pos; Raised = raised; }
    public TemplateErrorAt() { }
    public TemplateErrorAt(string message) : base(message) { }
    public TemplateErrorAt(string message, Exception inner) : base(message, inner) { }
    public int Pos { get; }
    public bool Raised { get; }
    public bool Missing { get; init; }
}

/// <summary>Template name and line starts, to turn a char offset into line:column.</summary>
internal sealed class SourceInfo
{
    private readonly int[] _lineStarts;

    public SourceInfo(string name, string normalized)
    {
        Name = name;
        var starts = new List<int> { 0 };
        for (var i = 0; i < normalized.Length; i++) if (normalized[i] == '\n') starts.Add(i + 1);
        _lineStarts = [.. starts];
    }

    public string Name { get; }

    public (int Line, int Column) Locate(int pos)
    {
        var i = Array.BinarySearch(_lineStarts, pos);
        if (i < 0) i = ~i - 1;
        return (i + 1, pos - _lineStarts[Math.Max(i, 0)] + 1);
    }

    public ChatTemplateException ToException(TemplateErrorAt e)
    {
        var (l, c) = Locate(e.Pos);
        return new ChatTemplateException(Name, l, c, e.Message, e.Raised, e.Missing);
    }
}
