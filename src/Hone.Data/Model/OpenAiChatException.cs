namespace Hone.Data.Model;

/// <summary>OpenAI chat JSON of the wrong shape; <see cref="Field"/> is the path of the offending field ("messages[2].content").</summary>
public sealed class OpenAiChatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public OpenAiChatException(string field, string message)
        : base(message) => Field = field;

    /// <summary>Creates the exception.</summary>
    public OpenAiChatException()
        : base("The OpenAI chat JSON has the wrong shape.") => Field = "";

    /// <summary>Creates the exception.</summary>
    public OpenAiChatException(string message, Exception innerException)
        : base(message, innerException) => Field = "";

    /// <summary>The path of the field that is wrong, relative to what was read.</summary>
    public string Field { get; }
}
