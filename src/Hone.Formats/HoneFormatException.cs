using Hone.Core;

namespace Hone.Formats;

/// <summary>
/// Base of every error raised while reading or writing a model file. The message always names the file and,
/// where one applies, the byte offset of the problem and how to fix it.
/// </summary>
public class HoneFormatException : HoneException
{
    /// <summary>Creates the error.</summary>
    public HoneFormatException() : base(ErrorKind.Input, "Invalid model file.") { }

    /// <summary>Creates the error with a message.</summary>
    public HoneFormatException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public HoneFormatException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }

    /// <summary>Creates an error of another kind (an unsupported type, ...).</summary>
    protected HoneFormatException(ErrorKind kind, string message, Exception? innerException = null) : base(kind, message, null, innerException) { }

    /// <summary>The file the error is about, when known.</summary>
    public string? FilePath { get; init; }

    /// <summary>The byte offset the error is about, when known; -1 otherwise.</summary>
    public long Offset { get; init; } = -1;

    /// <inheritdoc />
    public override ErrorLocation? Location => FilePath is null && Offset < 0 ? null : new(FilePath, Offset: Offset >= 0 ? Offset : null);
}
