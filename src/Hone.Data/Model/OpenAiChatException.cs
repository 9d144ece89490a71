using Hone.Core;

namespace Hone.Data.Model;

/// <summary>OpenAI chat JSON of the wrong shape; <see cref="Field"/> is the path of the offending field ("messages[2].content").</summary>
public sealed class OpenAiChatException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public OpenAiChatException(string field, string message)
        : base(ErrorKind.Input, message, new ErrorLocation(Field: field)) => Field = field;

    /// <summary>Creates the exception.</summary>
    public OpenAiChatException()
        : base(ErrorKind.Input, "The OpenAI chat JSON has the wrong shape.") => Field = "";

    /// <summary>Creates the exception.</summary>
    public OpenAiChatException(string message, Exception innerException)
        : base(ErrorKind.Input, message, null, innerException) => Field = "";

    /// <summary>The path of the field that is wrong, relative to what was read.</summary>
    public string Field { get; }
}
