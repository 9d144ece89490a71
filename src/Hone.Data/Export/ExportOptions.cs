using Hone.Data.Import;
using Hone.Data.Model;

namespace Hone.Data.Export;

/// <summary>
/// <c>hone data export</c>: read an OpenAI JSONL file of one kind and write it (atomically) as the same or another kind.
/// Meaningful conversions: chat → prompt/completion (the last assistant turn is the completion), chat → reinforcement
/// (the last assistant turn becomes <c>reference_answer</c>), preference → chat (SFT on the preferred output),
/// preference → prompt/completion, prompt/completion → chat. The others are refused with the reason.
/// </summary>
public sealed record ExportOptions
{
    /// <summary>The JSONL file to read; never modified.</summary>
    public required string InputPath { get; init; }

    /// <summary>The JSONL file to write; must differ from the input.</summary>
    public required string OutputPath { get; init; }

    /// <summary>The input's kind; null detects it from the first record.</summary>
    public DataKind? From { get; init; }

    /// <summary>The kind to write.</summary>
    public required DataKind To { get; init; }

    /// <summary>At most this many problems are listed (all are counted). Default 1,000.</summary>
    public int MaxProblems { get; init; } = 1000;

    /// <summary>
    /// Leave out records that cannot be read or converted (they are listed) instead of refusing the export. Default
    /// false: such a record means nothing is written (<see cref="InvalidRecordsException"/>).
    /// </summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Checks the options once; throws with what is wrong and how to fix it.</summary>
    /// <exception cref="FileNotFoundException">No input file.</exception>
    /// <exception cref="ArgumentException">Anything else.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputPath)) throw new ArgumentException("Export: no input file given.", nameof(InputPath));
        if (!File.Exists(InputPath)) throw new FileNotFoundException($"Export: input file '{InputPath}' does not exist.", InputPath);
        if (string.IsNullOrWhiteSpace(OutputPath)) throw new ArgumentException("Export: no output file given.", nameof(OutputPath));
        if (string.Equals(Path.GetFullPath(OutputPath), Path.GetFullPath(InputPath), StringComparison.Ordinal))
            throw new ArgumentException($"Export: output '{OutputPath}' is the input file; inputs are never overwritten, choose another output.", nameof(OutputPath));
        if (MaxProblems < 0) throw new ArgumentException($"Export: MaxProblems {MaxProblems} must not be negative.", nameof(MaxProblems));
        if (!Enum.IsDefined(To)) throw new ArgumentException($"Export: unknown target kind {To}.", nameof(To));
        if (From is { } from) ExampleConversions.EnsureSupported(from, To);
    }
}

/// <summary>The outcome of <see cref="Exporter.Export"/>.</summary>
/// <param name="From">The input kind (given or detected).</param>
/// <param name="To">The kind written.</param>
/// <param name="OutputPath">The file written.</param>
/// <param name="Exported">Examples written.</param>
/// <param name="Skipped">Records not written.</param>
/// <param name="Problems">Records that could not be read or converted (line and reason), at most MaxProblems.</param>
/// <param name="ProblemCount">All such records.</param>
public sealed record ExportResult(DataKind From, DataKind To, string OutputPath, int Exported, int Skipped, IReadOnlyList<ImportProblem> Problems, int ProblemCount);
