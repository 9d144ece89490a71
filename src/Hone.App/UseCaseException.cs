namespace Hone.App;

/// <summary>
/// A request a use case cannot carry out as asked (an option combination, a missing file, a value out of range): the
/// caller's to fix. The CLI reports it as a usage or input error (exit 2).
/// </summary>
public sealed class UseCaseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UseCaseException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UseCaseException() { }

    /// <summary>Creates the exception.</summary>
    public UseCaseException(string message, Exception inner) : base(message, inner) { }
}
