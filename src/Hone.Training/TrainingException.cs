using Hone.Core;

namespace Hone.Training;

/// <summary>
/// A training run cannot start or continue: bad options, data that does not fit the model, a damaged checkpoint.
/// The message says what is wrong, where, and how to fix it.
/// </summary>
public sealed class TrainingException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public TrainingException() : base(ErrorKind.Input, "Training cannot run.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception of another kind (a missing file is <see cref="ErrorKind.NotFound"/>).</summary>
    public TrainingException(ErrorKind kind, string message) : base(kind, message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TrainingException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }
}
