using Hone.Core;

namespace Hone.Data.Model;

/// <summary>A data file or line that cannot be read as the expected format; the message says what, where and how to fix it.</summary>
public sealed class DataFormatException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public DataFormatException() : base(ErrorKind.Input, "Invalid data file.") { }

    /// <summary>Creates the exception with a message.</summary>
    public DataFormatException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public DataFormatException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }
}
