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
            var located = message.StartsWith(where + ":", StringComparison.Ordinal); // a reader's message that names file:line:column
            _problems.Add(new ImportProblem(record, line, located ? message : $"{where}: {message}"));
        }
    }

    /// <summary>Counts a record skipped on purpose (not a problem).</summary>
    public void SkipByDesign() => Skipped++;

    /// <summary>
    /// Refuses to write when records could not be used and <paramref name="skipInvalid"/> is false, or when there is
    /// nothing to write at all. Call it after the last record and before the output is committed, so that a refused
    /// output is never written.
    /// </summary>
    /// <param name="skipInvalid">Leave unusable records out (they stay listed) instead of refusing.</param>
    /// <exception cref="InvalidRecordsException">Unusable records and no <paramref name="skipInvalid"/>, or no usable record.</exception>
    public void EnsureWritable(bool skipInvalid)
    {
        const int Shown = 5;
        if (ProblemCount > 0 && (!skipInvalid || Imported == 0))
        {
            var one = ProblemCount == 1;
            var first = string.Join("\n  ", _problems.Take(Shown).Select(p => p.Message));
            var more = ProblemCount > Shown ? $"\n  … and {ProblemCount - Shown} more" : "";
            var how = Imported == 0 ? "Fix the input: none of its records is usable."
                : $"Fix {(one ? "it" : "them")}, or pass --skip-invalid to leave {(one ? "it" : "them")} out.";
            throw new InvalidRecordsException(
                $"{SourceName}: {ProblemCount} record{(one ? "" : "s")} cannot be used, so nothing was written:\n  {first}{more}\n{how}")
            {
                Problems = _problems,
                ProblemCount = ProblemCount,
            };
        }
        if (Imported == 0)
        {
            throw new InvalidRecordsException($"{SourceName}: no records to write{(Skipped > 0 ? $" ({Skipped} skipped by design)" : "")}, " +
                "so nothing was written. Check the input and its format.");
        }
    }
}
