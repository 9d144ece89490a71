using Hone.Core;

namespace Hone.Prompting.Files;

/// <summary>
/// A prompt or chain file is invalid, or a case cannot be rendered through it: the message names the file, the line
/// (and the field or key), what is wrong and how to fix it.
/// </summary>
public sealed class PromptFileException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public PromptFileException() : base(ErrorKind.Input, "Invalid prompt file.") { }

    /// <summary>Creates the exception with a message that already carries its location.</summary>
    public PromptFileException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception.</summary>
    public PromptFileException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }

    /// <summary>Creates the exception located at <paramref name="file"/>:<paramref name="line"/>.</summary>
    public PromptFileException(string file, int line, string message, Exception? inner = null)
        : base(ErrorKind.Input, line > 0 ? $"{file}:{line}: {message}" : $"{file}: {message}", new ErrorLocation(file, line > 0 ? line : null), inner)
    {
        File = file;
        Line = line;
    }

    /// <summary>The prompt file, when known.</summary>
    public string? File { get; }

    /// <summary>The 1-based line in the prompt file, 0 when unknown.</summary>
    public int Line { get; }
}
