using Hone.Data.Model;

namespace Hone.Data.Import.Csv;

/// <summary>The column names of a CSV file (its first record), with lookup by name (exact, case-sensitive).</summary>
public sealed class CsvHeader
{
    private readonly Dictionary<string, int> _index;

    private CsvHeader(IReadOnlyList<string> names, Dictionary<string, int> index)
    {
        Names = names;
        _index = index;
    }

    /// <summary>Column names in file order, trimmed of surrounding white space.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>
    /// Builds the header from the first record. Empty or duplicate names are errors (file:line and the column number).
    /// </summary>
    /// <exception cref="DataFormatException">An empty or repeated column name.</exception>
    public static CsvHeader From(CsvRecord record, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(record);
        var names = new List<string>(record.Fields.Count);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < record.Fields.Count; i++)
        {
            var name = record.Fields[i].Trim();
            if (name.Length == 0)
                throw new DataFormatException($"{sourceName}:{record.Line}: header column {i + 1} has no name; give every column a name in the first line.");
            if (!index.TryAdd(name, i))
                throw new DataFormatException($"{sourceName}:{record.Line}: header column {i + 1} repeats the name '{name}' (also column {index[name] + 1}); column names must be unique.");
            names.Add(name);
        }
        return new CsvHeader(names, index);
    }

    /// <summary>The 0-based index of a column, or −1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>The index of a column that must exist.</summary>
    /// <exception cref="ArgumentException">No such column; the message lists the available ones.</exception>
    public int Require(string name, string role)
    {
        var i = IndexOf(name);
        if (i < 0) throw new ArgumentException($"{role}: unknown column '{name}'; available columns: {Available}.");
        return i;
    }

    /// <summary>The column names, comma separated, for messages.</summary>
    public string Available => string.Join(", ", Names);
}
