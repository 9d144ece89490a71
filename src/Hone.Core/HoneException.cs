using System.Globalization;

namespace Hone.Core;

/// <summary>
/// What kind of failure a <see cref="HoneException"/> is. Screens map kinds, never exception types or namespaces: the
/// CLI to exit codes, the server to HTTP statuses.
/// </summary>
public enum ErrorKind
{
    /// <summary>A defect in Hone (a broken invariant): CLI exit 3, HTTP 500. The safe default.</summary>
    Internal = 0,

    /// <summary>Bad input the user can fix (a malformed file, an invalid option or field): CLI exit 2, HTTP 400.</summary>
    Input,

    /// <summary>Something named does not exist (a file, a run, a model): CLI exit 2, HTTP 404.</summary>
    NotFound,

    /// <summary>Valid input that Hone does not support (a tensor type, an architecture, a feature): CLI exit 2, HTTP 422.</summary>
    Unsupported,

    /// <summary>The request clashes with the current state (a run already running, a file that must not exist): CLI exit 2, HTTP 409.</summary>
    Conflict,
}

/// <summary>
/// Where an error happened: a file (with a line and column, or a byte offset), and/or a field (an option name, a JSON
/// path in a request such as <c>messages[0].content</c>). Every part is optional.
/// </summary>
public sealed record ErrorLocation(string? File = null, long? Line = null, long? Column = null, long? Offset = null, string? Field = null)
{
    /// <summary>"file:line:column", "file: byte N", "field", or their combination ("file:line: field").</summary>
    public override string ToString()
    {
        var parts = new List<string>(2);
        if (File is not null)
        {
            var at = File;
            if (Line is { } line) at += ":" + line.ToString(CultureInfo.InvariantCulture) + (Column is { } c ? ":" + c.ToString(CultureInfo.InvariantCulture) : "");
            else if (Offset is { } o) at += ": byte " + o.ToString(CultureInfo.InvariantCulture);
            parts.Add(at);
        }

        if (Field is not null) parts.Add(Field);
        return string.Join(": ", parts);
    }
}

/// <summary>
/// The one error type of Hone: every typed error (format, data, spec, template, workspace, ...) derives from it and says
/// its <see cref="Kind"/> and, where one applies, its <see cref="Location"/>. The message says what is wrong, where,
/// and how to fix it. Anything that is not a <see cref="HoneException"/> (or an I/O error at a screen's edge) is a defect.
/// </summary>
public class HoneException : Exception
{
    private readonly ErrorLocation? _location;

    /// <summary>Creates an error of <paramref name="kind"/> at <paramref name="location"/>.</summary>
    public HoneException(ErrorKind kind, string message, ErrorLocation? location = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        _location = location;
    }

    /// <summary>Creates an internal error.</summary>
    public HoneException() : this(ErrorKind.Internal, "Internal error.") { }

    /// <summary>Creates an internal error with a message.</summary>
    public HoneException(string message) : this(ErrorKind.Internal, message) { }

    /// <summary>Creates an internal error with a message and its cause.</summary>
    public HoneException(string message, Exception innerException) : this(ErrorKind.Internal, message, null, innerException) { }

    /// <summary>What kind of failure this is.</summary>
    public ErrorKind Kind { get; }

    /// <summary>Where it happened, when known (derived types that carry their own position fields report them here).</summary>
    public virtual ErrorLocation? Location => _location;

    /// <summary>An input error at <paramref name="location"/>.</summary>
    public static HoneException Input(string message, ErrorLocation? location = null) => new(ErrorKind.Input, message, location);

    /// <summary>A not-found error at <paramref name="location"/>.</summary>
    public static HoneException NotFound(string message, ErrorLocation? location = null) => new(ErrorKind.NotFound, message, location);

    /// <summary>An unsupported-input error at <paramref name="location"/>.</summary>
    public static HoneException Unsupported(string message, ErrorLocation? location = null) => new(ErrorKind.Unsupported, message, location);
}
