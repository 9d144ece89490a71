using Hone.Core;

namespace Hone.Formats.Gguf;

/// <summary>A GGUF file is malformed, truncated or hostile. The message names the file and the byte offset.</summary>
public class GgufFormatException : HoneFormatException
{
    /// <summary>Creates the error.</summary>
    public GgufFormatException() { }

    /// <summary>Creates the error with a message.</summary>
    public GgufFormatException(string message) : base(message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public GgufFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an error of another kind.</summary>
    protected GgufFormatException(ErrorKind kind, string message, Exception? innerException = null) : base(kind, message, innerException) { }

    internal static GgufFormatException At(string path, long offset, string what) =>
        new($"{path}: byte {offset}: {what}") { FilePath = path, Offset = offset };
}

/// <summary>
/// A GGUF tensor uses a ggml type that Hone cannot dequantise (for example Q4_K). Re-export the model with
/// F32, F16, BF16 or Q8_0 tensors.
/// </summary>
public sealed class GgufUnsupportedTypeException : GgufFormatException
{
    /// <summary>Creates the error.</summary>
    public GgufUnsupportedTypeException() : base(ErrorKind.Unsupported, "Unsupported GGUF tensor type.") { }

    /// <summary>Creates the error with a message.</summary>
    public GgufUnsupportedTypeException(string message) : base(ErrorKind.Unsupported, message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public GgufUnsupportedTypeException(string message, Exception innerException) : base(ErrorKind.Unsupported, message, innerException) { }

    /// <summary>The tensor's ggml type.</summary>
    public GgmlType Type { get; init; }
}
