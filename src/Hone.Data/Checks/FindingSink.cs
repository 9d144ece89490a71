namespace Hone.Data.Checks;

/// <summary>Collects the findings of one line (the line number is filled in here).</summary>
internal sealed class FindingSink
{
    private readonly List<DataFinding> _findings = [];

    public long Line { get; set; }

    public IReadOnlyList<DataFinding> Findings => _findings;

    public bool HasErrors { get; private set; }

    public void Clear()
    {
        _findings.Clear();
        HasErrors = false;
    }

    public void Add(DataFinding f)
    {
        _findings.Add(f);
        if (f.Severity == FindingSeverity.Error) HasErrors = true;
    }

    public void Error(string code, string? path, string message, string fix) => Add(new DataFinding(FindingSeverity.Error, code, Line, path, message, fix));

    public void Warning(string code, string? path, string message, string fix) => Add(new DataFinding(FindingSeverity.Warning, code, Line, path, message, fix));

    public void Info(string code, string? path, string message, string fix) => Add(new DataFinding(FindingSeverity.Info, code, Line, path, message, fix));
}
