namespace Hone.Data.Checks;

/// <summary>Counts every finding and keeps the first N of each code.</summary>
internal sealed class FindingCollector(int maxPerCode)
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly long[] _bySeverity = new long[3];
    private readonly List<DataFinding> _kept = [];

    public bool Truncated { get; private set; }

    public IReadOnlyDictionary<string, long> CountsByCode => new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);

    public void Add(DataFinding f)
    {
        _counts.TryGetValue(f.Code, out var n);
        _counts[f.Code] = n + 1;
        _bySeverity[(int)f.Severity]++;
        if (n < maxPerCode) _kept.Add(f);
        else Truncated = true;
    }

    public void AddRange(IEnumerable<DataFinding> findings)
    {
        foreach (var f in findings) Add(f);
    }

    public long Count(FindingSeverity s) => _bySeverity[(int)s];

    /// <summary>Training-file findings by line (file-level ones last), then validation-file ones.</summary>
    public IReadOnlyList<DataFinding> Sorted() =>
        [.. _kept.Select((f, i) => (f, i))
            .OrderBy(x => x.f.File is null ? 0 : 1)
            .ThenBy(x => x.f.Line ?? long.MaxValue)
            .ThenBy(x => x.i)
            .Select(x => x.f)];
}
