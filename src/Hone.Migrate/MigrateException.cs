namespace Hone.Migrate;

/// <summary>A migration step cannot go on: a missing or malformed capture, plan or run, or an option out of range. The message says what and how to fix it.</summary>
public sealed class MigrateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MigrateException() { }

    /// <summary>Creates the exception with its message.</summary>
    public MigrateException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and cause.</summary>
    public MigrateException(string message, Exception inner) : base(message, inner) { }
}
