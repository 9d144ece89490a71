using Hone.Core;

namespace Hone.Data.Import;

/// <summary>
/// An input holds records that cannot be used, and leaving them out was not asked for (<c>--skip-invalid</c>): the
/// command writes nothing. The message names the first records by file:line and says how to go on.
/// </summary>
public sealed class InvalidRecordsException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public InvalidRecordsException() : base(ErrorKind.Input, "The file has invalid records.") { }

    /// <summary>Creates the exception with a message.</summary>
    public InvalidRecordsException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public InvalidRecordsException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }

    /// <summary>The problems found (at most the context's listing cap).</summary>
    public IReadOnlyList<ImportProblem> Problems { get; init; } = [];

    /// <summary>How many records could not be used.</summary>
    public int ProblemCount { get; init; }
}
