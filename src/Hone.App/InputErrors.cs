using System.Text.Json;
using Hone.Store;

namespace Hone.App;

/// <summary>Which exceptions are the caller's to fix (bad input, a missing or malformed file, a typed Hone error) rather than a defect.</summary>
public static class InputErrors
{
    /// <summary>True for an error the user can fix.</summary>
    public static bool Is(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException
        or FormatException or JsonException or WorkspaceException or UseCaseException
        or (ArgumentException and not ArgumentNullException) // option validation in the libraries (validated once, with a message)
        || (e.GetType().Namespace?.StartsWith("Hone.", StringComparison.Ordinal) ?? false);
}
