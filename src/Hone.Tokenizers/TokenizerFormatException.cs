using Hone.Core;

namespace Hone.Tokenizers;

/// <summary>
/// A tokenizer file (tokenizer.json, tokenizer.bin, tokenizer.model, GGUF vocabulary) is malformed or unsupported.
/// The message names the file, the place (byte offset, JSON path or token index) and how to fix it.
/// </summary>
public sealed class TokenizerFormatException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public TokenizerFormatException() : base(ErrorKind.Input, "Invalid tokenizer file.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TokenizerFormatException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public TokenizerFormatException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }
}
