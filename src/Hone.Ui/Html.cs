using System.Globalization;
using System.Net;
using System.Text;

namespace Hone.Ui;

/// <summary>
/// HTML writing helpers. Every piece of text that reaches a page goes through <see cref="E"/> (element text and
/// attribute values alike): model outputs, case ids, tags, file names are all untrusted. Markup is only ever built from
/// constant strings and encoded values.
/// </summary>
internal static class Html
{
    /// <summary>Encodes text for element content or a double-quoted attribute value.</summary>
    public static string E(string? text) => text is null ? "" : WebUtility.HtmlEncode(text);

    /// <summary>Encodes a query-string component.</summary>
    public static string U(string? text) => text is null ? "" : Uri.EscapeDataString(text);

    /// <summary>A number with invariant formatting.</summary>
    public static string N(double v, string format = "0.####") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    /// <summary>A share as a percentage.</summary>
    public static string Pct(double v) => double.IsFinite(v) ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    /// <summary>A p-value as people read it.</summary>
    public static string P(double p) => p < 0.001 ? "&lt;0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>A query string from pairs (empty values left out), with a leading '?' when not empty.</summary>
    public static string Query(params (string Key, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => U(p.Key) + "=" + U(p.Value)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    /// <summary>The navigation links; <paramref name="current"/> is marked with aria-current.</summary>
    private static readonly (string Href, string Label, string Key)[] Nav =
    [
        ("/", "Runs", "runs"), ("/compare", "Compare", "compare"), ("/prompts", "Prompts", "prompts"), ("/studies", "Studies", "studies"), ("/data", "Data QA", "data"),
    ];

    /// <summary>
    /// A whole page: the layout (skip link, navigation, theme switch, live script) around <paramref name="main"/>.
    /// With <paramref name="live"/> the script polls the workspace's version and re-renders <c>#main</c> when it moves.
    /// </summary>
    public static string Page(string title, string current, string main, bool live = false)
    {
        var sb = new StringBuilder(main.Length + 2048);
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .Append("<title>").Append(E(title)).Append(" · hone ui</title>")
          .Append("<link rel=\"stylesheet\" href=\"/assets/app.css\">")
          .Append("<script src=\"/assets/app.js\" defer></script></head>")
          .Append("<body").Append(live ? " data-live=\"1\"" : "").Append('>')
          .Append("<a class=\"skip\" href=\"#main\">Skip to content</a>")
          .Append("<header><nav aria-label=\"Main\"><span class=\"brand\">hone ui</span>");
        foreach (var (href, label, key) in Nav)
            sb.Append("<a href=\"").Append(href).Append('"').Append(key == current ? " aria-current=\"page\"" : "").Append('>').Append(label).Append("</a>");
        sb.Append("</nav><button type=\"button\" id=\"theme\" aria-label=\"Switch between dark and light\">◐ theme</button>")
          .Append(live ? "<span id=\"live\" role=\"status\" aria-live=\"polite\">live</span>" : "")
          .Append("</header><main id=\"main\" tabindex=\"-1\">").Append(main).Append("</main></body></html>");
        return sb.ToString();
    }

    /// <summary>A pass/fail/error badge.</summary>
    public static string Badge(string kind, string text) => $"<span class=\"badge {E(kind)}\">{E(text)}</span>";

    /// <summary>Links to the export formats of the current view (the same query, another format).</summary>
    public static string Exports(string path, string query, params string[] formats)
    {
        var sep = string.IsNullOrEmpty(query) ? "?" : query + "&";
        return "<p class=\"exports\">Export what is shown: " + string.Join(" · ",
            formats.Select(f => $"<a href=\"{E(path + sep + "format=" + f)}\" download>{E(f.ToUpperInvariant())}</a>")) + "</p>";
    }

    /// <summary>A pager: previous/next links and the position, keeping the rest of the query.</summary>
    public static string Pager(string path, Func<int, string> queryForPage, int page, int pages, int total, string noun)
    {
        var sb = new StringBuilder("<nav class=\"pager\" aria-label=\"Pages\">");
        if (page > 1) sb.Append($"<a rel=\"prev\" href=\"{E(path + queryForPage(page - 1))}\">← previous</a> ");
        sb.Append($"<span>page {page} of {Math.Max(1, pages)} ({total.ToString("N0", CultureInfo.InvariantCulture)} {E(noun)})</span>");
        if (page < pages) sb.Append($" <a rel=\"next\" href=\"{E(path + queryForPage(page + 1))}\">next →</a>");
        return sb.Append("</nav>").ToString();
    }

    /// <summary>A labelled text input of a GET filter form.</summary>
    public static string TextInput(string name, string label, string? value, string? placeholder = null) =>
        $"<label>{E(label)} <input type=\"search\" name=\"{E(name)}\" value=\"{E(value)}\"" +
        (placeholder is null ? "" : $" placeholder=\"{E(placeholder)}\"") + (name == "q" ? " data-search" : "") + "></label>";

    /// <summary>A labelled select of a GET filter form; the empty value means "all".</summary>
    public static string Select(string name, string label, string? value, IEnumerable<(string Value, string Text)> options)
    {
        var sb = new StringBuilder($"<label>{E(label)} <select name=\"{E(name)}\">");
        foreach (var (v, t) in options)
            sb.Append($"<option value=\"{E(v)}\"{(v == (value ?? "") ? " selected" : "")}>{E(t)}</option>");
        return sb.Append("</select></label>").ToString();
    }
}
