namespace Hone.Store;

/// <summary>A workspace or run-store problem the user can fix (missing workspace, bad hone.yaml, unknown run).</summary>
public sealed class WorkspaceException : Exception
{
    /// <summary>Creates the exception with a message that says what, where and how to fix it.</summary>
    public WorkspaceException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping a cause.</summary>
    public WorkspaceException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Parameterless constructor (for serializers).</summary>
    public WorkspaceException() { }
}
