using Hone.Core;

namespace Hone.Evals.Graders.Config;

/// <summary>A grader definition is invalid. The message names the key path (e.g. <c>graders.name.operation</c>),
/// what is wrong, and the valid choices.</summary>
public sealed class GraderConfigException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public GraderConfigException(string path, string message) : base(ErrorKind.Input, $"{path}: {message}", new ErrorLocation(Field: path)) => ConfigPath = path;

    /// <summary>Creates the exception.</summary>
    public GraderConfigException() : base(ErrorKind.Input, "Invalid grader configuration.") => ConfigPath = "";

    /// <summary>Creates the exception.</summary>
    public GraderConfigException(string message) : base(ErrorKind.Input, message) => ConfigPath = "";

    /// <summary>Creates the exception.</summary>
    public GraderConfigException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) => ConfigPath = "";

    /// <summary>Where in the configuration the problem is (dotted key path; <c>$</c> is the root).</summary>
    public string ConfigPath { get; }
}
