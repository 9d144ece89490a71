using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui;

/// <summary>CSV and JSONL exports of what a view shows (the same rows, all pages).</summary>
internal static class Export
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The export format asked for by <c>?format=</c> (csv, jsonl, html), or null for the page.</summary>
    public static string? Format(IQueryCollection q) => q["format"].ToString() is { Length: > 0 } f ? f : null;

    /// <summary>A CSV file: a header and rows; cells quoted when needed, and cells a spreadsheet would run as a formula defused.</summary>
    public static string Csv(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', header.Select(Cell)).Append('\n');
        foreach (var row in rows) sb.AppendJoin(',', row.Select(Cell)).Append('\n');
        return sb.ToString();
    }

    /// <summary>One JSON object per line.</summary>
    public static string Jsonl<T>(IEnumerable<T> rows)
    {
        var sb = new StringBuilder();
        foreach (var r in rows) sb.Append(JsonSerializer.Serialize(r, Json)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The download of <paramref name="format"/> (csv or jsonl) built lazily from the same rows.</summary>
    public static PageResult Download(string format, string baseName, Func<string> csv, Func<string> jsonl) => format switch
    {
        "csv" => PageResult.File(csv(), "text/csv; charset=utf-8", baseName + ".csv"),
        "jsonl" => PageResult.File(jsonl(), "application/x-ndjson; charset=utf-8", baseName + ".jsonl"),
        _ => throw new ArgumentException($"format '{format}' is not offered here: use csv or jsonl."),
    };

    /// <summary>A self-contained HTML document (inline style, no script, a CSP forbidding any fetch) around <paramref name="body"/>.</summary>
    public static string StandaloneHtml(string title, string body) =>
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">" +
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">" +
        $"<title>{Html.E(title)}</title><style>{Assets.Css}</style></head><body><main>{body}</main></body></html>";

    private static string Cell(string? v)
    {
        v ??= "";
        if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out _)) v = "'" + v;
        return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }
}

/// <summary>The embedded stylesheet, for self-contained exports.</summary>
internal static class Assets
{
    private static readonly Lazy<string> CssText = new(() =>
    {
        using var s = typeof(Assets).Assembly.GetManifestResourceStream("Hone.Ui.Assets.app.css")!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    });

    public static string Css => CssText.Value;
}
