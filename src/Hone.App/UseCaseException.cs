namespace Hone.App;

/// <summary>
/// A request a use case cannot carry out as asked (an option combination, a missing file, a value out of range): the
/// caller's to fix. The CLI reports it as a usage or input error (exit 2).
/// </summary>
public sealed class UseCaseException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public UseCaseException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception.</summary>
    public UseCaseException() : base(ErrorKind.Input, "The request is not valid.") { }

    /// <summary>Creates the exception.</summary>
    public UseCaseException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }
}
