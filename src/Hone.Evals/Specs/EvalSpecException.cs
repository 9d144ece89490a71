using Hone.Core;

namespace Hone.Evals.Specs;

/// <summary>
/// A golden set or an eval spec is invalid. The message says where (<c>file:line</c> or <c>file:line:column</c>),
/// what is wrong and how to fix it.
/// </summary>
public sealed class EvalSpecException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public EvalSpecException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception.</summary>
    public EvalSpecException() : base(ErrorKind.Input, "Invalid eval spec or golden set.") { }

    /// <summary>Creates the exception.</summary>
    public EvalSpecException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }
}
