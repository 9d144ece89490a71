namespace Hone.Formats.Llama2c;

/// <summary>A llama2.c checkpoint is malformed, truncated or hostile; the message names the file and byte offset.</summary>
public sealed class Llama2cFormatException : HoneFormatException
{
    /// <summary>Creates the error.</summary>
    public Llama2cFormatException() { }

    /// <summary>Creates the error with a message.</summary>
    public Llama2cFormatException(string message) : base(message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public Llama2cFormatException(string message, Exception innerException) : base(message, innerException) { }

    internal static Llama2cFormatException At(string path, long offset, string what) =>
        new($"{path}: byte {offset}: {what}") { FilePath = path, Offset = offset };
}
