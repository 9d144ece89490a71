namespace Hone.Data.Import;

/// <summary>Collects the problems and counts of one import run.</summary>
public sealed class ImportContext
{
    private readonly List<ImportProblem> _problems = [];

    /// <summary>Creates a context naming the source in messages and listing at most <paramref name="maxProblems"/> problems.</summary>
    public ImportContext(string sourceName, int maxProblems = 1000)
    {
        SourceName = sourceName;
        MaxProblems = maxProblems;
    }

    /// <summary>The input's name for messages.</summary>
    public string SourceName { get; }

    /// <summary>The most problems listed.</summary>
    public int MaxProblems { get; }

    /// <summary>The problems listed so far.</summary>
    public IReadOnlyList<ImportProblem> Problems => _problems;

    /// <summary>All problems counted so far.</summary>
    public int ProblemCount { get; private set; }

    /// <summary>Records skipped (problems plus records filtered by design).</summary>
    public int Skipped { get; private set; }

    /// <summary>Examples produced.</summary>
    public int Imported { get; internal set; }

    /// <summary>Records a malformed record (skipped).</summary>
    public void Problem(long record, long? line, string message)
    {
        ProblemCount++;
        Skipped++;
        if (_problems.Count < MaxProblems)
        {
            var where = line is { } l ? $"{SourceName}:{l}" : $"{SourceName} record {record}";
            _problems.Add(new ImportProblem(record, line, $"{where}: {message}"));
        }
    }

    /// <summary>Counts a record skipped on purpose (not a problem).</summary>
    public void SkipByDesign() => Skipped++;
}
