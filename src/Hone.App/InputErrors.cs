using System.Text.Json;

namespace Hone.App;

/// <summary>Which exceptions are the caller's to fix (bad input, a missing or malformed file, a typed Hone error) rather than a defect.</summary>
public static class InputErrors
{
    /// <summary>True for an error the user can fix: any <see cref="KindOf"/> but <see cref="ErrorKind.Internal"/>.</summary>
    public static bool Is(Exception e) => KindOf(e) != ErrorKind.Internal;

    /// <summary>
    /// The kind of an exception that reached a screen. A <see cref="HoneException"/> says its own. At the edge a few .NET
    /// types are the user's too: the file system's errors (a missing file or folder is not-found; a denied, locked or
    /// full one is input), a .NET reader's verdict on a user's file (<see cref="JsonException"/>,
    /// <see cref="InvalidDataException"/>, <see cref="FormatException"/>), and option validation (an
    /// <see cref="ArgumentException"/>, but not a null argument). Never decided by namespace: a Hone type that is not a
    /// <see cref="HoneException"/>, and every other exception, is a defect.
    /// </summary>
    public static ErrorKind KindOf(Exception e) => e switch
    {
        HoneException h => h.Kind,
        FileNotFoundException or DirectoryNotFoundException => ErrorKind.NotFound,
        IOException or UnauthorizedAccessException => ErrorKind.Input,
        JsonException or InvalidDataException or FormatException => ErrorKind.Input,
        ArgumentNullException => ErrorKind.Internal,
        ArgumentException => ErrorKind.Input,
        _ => ErrorKind.Internal,
    };
}
