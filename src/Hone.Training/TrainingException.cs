namespace Hone.Training;

/// <summary>
/// A training run cannot start or continue: bad options, data that does not fit the model, a damaged checkpoint.
/// The message says what is wrong, where, and how to fix it.
/// </summary>
public sealed class TrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingException() { }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TrainingException(string message, Exception innerException) : base(message, innerException) { }
}
