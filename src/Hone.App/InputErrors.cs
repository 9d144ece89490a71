using System.Text.Json;

namespace Hone.App;

/// <summary>Which exceptions are the caller's to fix (bad input, a missing or malformed file, a typed Hone error) rather than a defect.</summary>
public static class InputErrors
{
    /// <summary>
    /// True for an error the user can fix: a <see cref="HoneException"/> of any kind but internal, the file system's errors,
    /// a .NET reader's verdict on a user's file, and option validation (<see cref="ArgumentException"/> but not a null
    /// argument). Never decided by namespace: a Hone type that is not a <see cref="HoneException"/> is a defect.
    /// </summary>
    public static bool Is(Exception e) => e switch
    {
        HoneException h => h.Kind != ErrorKind.Internal,
        IOException or UnauthorizedAccessException or InvalidDataException or FormatException or JsonException => true,
        ArgumentNullException => false,
        ArgumentException => true,
        _ => false,
    };
}
