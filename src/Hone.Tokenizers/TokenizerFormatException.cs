namespace Hone.Tokenizers;

/// <summary>
/// A tokenizer file (tokenizer.json, tokenizer.bin, tokenizer.model, GGUF vocabulary) is malformed or unsupported.
/// The message names the file, the place (byte offset, JSON path or token index) and how to fix it.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TokenizerFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public TokenizerFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public TokenizerFormatException(string message, Exception innerException) : base(message, innerException) { }
}
