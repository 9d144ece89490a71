using Hone.Core;

namespace Hone.Models;

/// <summary>
/// A model could not be loaded: its configuration or checkpoint is missing, malformed, inconsistent or of an unsupported
/// architecture. The message says what, where (<see cref="FilePath"/>, and a byte offset or key where it applies) and how
/// to fix it.
/// </summary>
public class ModelLoadException : HoneException
{
    /// <summary>An exception with no message.</summary>
    public ModelLoadException() : base(ErrorKind.Input, "The model could not be loaded.") { }

    /// <summary>An exception with a message.</summary>
    public ModelLoadException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>An exception with a message and its cause.</summary>
    public ModelLoadException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }

    /// <summary>The file or folder at fault, when known.</summary>
    public string? FilePath { get; init; }

    /// <inheritdoc />
    public override ErrorLocation? Location => FilePath is null ? null : new(FilePath);
}

/// <summary>
/// A sequence does not fit in the model's context window (or in the inference state's capacity). Shorten the prompt,
/// lower the number of new tokens, or ask for explicit truncation.
/// </summary>
public class ContextOverflowException : HoneException
{
    /// <summary>An exception with no message.</summary>
    public ContextOverflowException() : base(ErrorKind.Input, "The sequence does not fit in the model's context.") { }

    /// <summary>An exception with a message.</summary>
    public ContextOverflowException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>An exception with a message and its cause.</summary>
    public ContextOverflowException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }
}
