using Hone.Core;

namespace Hone.Store;

/// <summary>A workspace or run-store problem the user can fix (missing workspace, bad hone.yaml, unknown run).</summary>
public sealed class WorkspaceException : HoneException
{
    /// <summary>Creates the exception with a message that says what, where and how to fix it.</summary>
    public WorkspaceException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception of another kind (an unknown run is <see cref="ErrorKind.NotFound"/>, a running one <see cref="ErrorKind.Conflict"/>).</summary>
    public WorkspaceException(ErrorKind kind, string message) : base(kind, message) { }

    /// <summary>Creates the exception wrapping a cause.</summary>
    public WorkspaceException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }

    /// <summary>Parameterless constructor (for serializers).</summary>
    public WorkspaceException() : base(ErrorKind.Input, "Workspace error.") { }
}
