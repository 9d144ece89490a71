using Hone.Data.Model;

namespace Hone.Data.Import;

/// <summary>
/// What every import takes: the input file, where to write, and the limits. Each source format has its own sibling
/// options type (<see cref="Csv.CsvImportOptions"/>, <see cref="ShareGptImportOptions"/>, …); pass it to
/// <see cref="Importers.Import"/>.
/// </summary>
public abstract record ImportOptions
{
    /// <summary>The file to read; it is opened read-only and never modified.</summary>
    public required string InputPath { get; init; }

    /// <summary>The JSONL file to write (atomically). Required by <see cref="Importers.Import"/>; must not be the input.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Inputs larger than this are refused before reading. Default 2 GiB.</summary>
    public long MaxInputBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>At most this many problems are listed (all are counted). Default 1,000.</summary>
    public int MaxProblems { get; init; } = 1000;

    /// <summary>
    /// Leave out records that cannot be imported (they are listed) instead of refusing the import. Default false:
    /// a malformed record means nothing is written (<see cref="InvalidRecordsException"/>).
    /// </summary>
    public bool SkipInvalid { get; init; }

    /// <summary>The kind of example this import produces.</summary>
    public abstract DataKind Produces { get; }

    /// <summary>Checks the options once; throws <see cref="ArgumentException"/> saying which setting is wrong and how to fix it.</summary>
    /// <exception cref="FileNotFoundException">The input file does not exist.</exception>
    public virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputPath)) throw new ArgumentException("Import: no input file given.", nameof(InputPath));
        if (!File.Exists(InputPath)) throw new FileNotFoundException($"Import: input file '{InputPath}' does not exist.", InputPath);
        var size = new FileInfo(InputPath).Length;
        if (size > MaxInputBytes)
            throw new ArgumentException($"Import: '{InputPath}' is {size:N0} bytes, over the {MaxInputBytes:N0}-byte limit; split the file or raise MaxInputBytes.", nameof(MaxInputBytes));
        if (MaxInputBytes < 1) throw new ArgumentException($"Import: MaxInputBytes {MaxInputBytes} must be positive.", nameof(MaxInputBytes));
        if (MaxProblems < 0) throw new ArgumentException($"Import: MaxProblems {MaxProblems} must not be negative.", nameof(MaxProblems));
        if (OutputPath is not null)
        {
            if (string.IsNullOrWhiteSpace(OutputPath)) throw new ArgumentException("Import: the output path is empty.", nameof(OutputPath));
            if (string.Equals(Path.GetFullPath(OutputPath), Path.GetFullPath(InputPath), StringComparison.Ordinal))
                throw new ArgumentException($"Import: output '{OutputPath}' is the input file; inputs are never overwritten, choose another output.", nameof(OutputPath));
        }
    }
}

/// <summary>One record that could not be imported (the rest of the file is still read, so that all are listed).</summary>
/// <param name="Record">1-based record number: the CSV record (header = 1), the JSON array element, or the JSONL line's record.</param>
/// <param name="Line">1-based line in the file where known (CSV, JSONL), else null.</param>
/// <param name="Message">What is wrong and how to fix it, prefixed with file:line or file record N.</param>
public sealed record ImportProblem(long Record, long? Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>The outcome of <see cref="Importers.Import"/>.</summary>
/// <param name="Kind">The kind of examples written.</param>
/// <param name="InputPath">The file read.</param>
/// <param name="OutputPath">The file written.</param>
/// <param name="Imported">Examples written.</param>
/// <param name="Skipped">Records not imported (malformed ones left out by <see cref="ImportOptions.SkipInvalid"/>, or filtered by design such as undesirable KTO rows).</param>
/// <param name="Problems">Malformed records, at most <see cref="ImportOptions.MaxProblems"/>.</param>
/// <param name="ProblemCount">All malformed records, listed or not.</param>
public sealed record ImportResult(
    DataKind Kind, string InputPath, string OutputPath, int Imported, int Skipped, IReadOnlyList<ImportProblem> Problems, int ProblemCount);
