using System.Text;

namespace Hone.Cli.Commands;

/// <summary>
/// Lays out a rendered example for <c>hone data mask-preview</c>: the text's own lines, wrapped at spaces to the console
/// width (a word is cut only when it is longer than a line), with the trained characters in green, or, without colour,
/// between <see cref="Open"/> and <see cref="Close"/> on each line they cover.
/// </summary>
internal static class MaskPreviewLayout
{
    public const char Open = '«';
    public const char Close = '»';

    private readonly record struct Cell(char C, bool Trained, bool Marker = false);

    /// <summary>
    /// The display lines: Spectre markup when <paramref name="colour"/> is set, plain text otherwise. Each line is at most
    /// <paramref name="width"/> characters as shown (markers included).
    /// </summary>
    /// <param name="text">The rendered example.</param>
    /// <param name="trained">Per character of <paramref name="text"/>: whether SFT trains on it.</param>
    public static List<string> Lines(string text, bool[] trained, int width, bool colour)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(trained);
        width = Math.Max(8, width);
        var lines = new List<string>();
        var start = 0;
        while (start <= text.Length)
        {
            var nl = text.IndexOf('\n', start);
            var end = nl < 0 ? text.Length : nl;
            var cells = new List<Cell>(end - start + 4);
            for (var i = start; i < end; i++)
            {
                if (text[i] == '\r') continue;
                var t = trained[i];
                var prev = cells.Count > 0 && !cells[^1].Marker && cells[^1].Trained;
                if (!colour && t && !prev) cells.Add(new Cell(Open, true, true));
                if (!colour && !t && prev) cells.Add(new Cell(Close, true, true));
                cells.Add(new Cell(text[i], t));
            }
            if (!colour && cells.Count > 0 && cells[^1].Trained && !cells[^1].Marker) cells.Add(new Cell(Close, true, true));
            foreach (var row in Wrap(cells, width)) lines.Add(colour ? ToMarkup(row) : new string(row.Select(c => c.C).ToArray()));
            if (nl < 0) break;
            start = nl + 1;
        }
        return lines;
    }

    /// <summary>Greedy wrap at spaces; the space a line breaks at is dropped; a word longer than a line is cut.</summary>
    private static List<List<Cell>> Wrap(List<Cell> cells, int width)
    {
        var rows = new List<List<Cell>>();
        var from = 0;
        while (cells.Count - from > width)
        {
            var cut = -1;
            for (var i = from + width; i > from; i--)
                if (cells[i].C == ' ' && !cells[i].Marker) { cut = i; break; }
            if (cut < 0)
            {
                rows.Add(cells.GetRange(from, width));
                from += width;
                continue;
            }
            rows.Add(cells.GetRange(from, cut - from));
            from = cut + 1;
        }
        rows.Add(cells.GetRange(from, cells.Count - from));
        return rows;
    }

    private static string ToMarkup(List<Cell> row)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < row.Count)
        {
            var j = i;
            while (j < row.Count && row[j].Trained == row[i].Trained) j++;
            var piece = Spectre.Console.Markup.Escape(new string(row.Skip(i).Take(j - i).Select(c => c.C).ToArray()));
            sb.Append(row[i].Trained ? $"[black on green]{piece}[/]" : $"[grey]{piece}[/]");
            i = j;
        }
        return sb.ToString();
    }
}
