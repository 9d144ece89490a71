namespace Hone.Formats;

/// <summary>
/// Base of every error raised while reading or writing a model file. The message always names the file and,
/// where one applies, the byte offset of the problem and how to fix it.
/// </summary>
public class HoneFormatException : Exception
{
    /// <summary>Creates the error.</summary>
    public HoneFormatException() { }

    /// <summary>Creates the error with a message.</summary>
    public HoneFormatException(string message) : base(message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public HoneFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The file the error is about, when known.</summary>
    public string? FilePath { get; init; }

    /// <summary>The byte offset the error is about, when known; -1 otherwise.</summary>
    public long Offset { get; init; } = -1;
}
