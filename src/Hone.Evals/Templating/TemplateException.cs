using Hone.Core;

namespace Hone.Evals.Templating;

/// <summary>A template or path is malformed (at configuration time) or names a field that is absent (at grading time).</summary>
public sealed class TemplateException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public TemplateException(string message, bool missingField = false) : base(ErrorKind.Input, message) => MissingField = missingField;

    /// <summary>Creates the exception.</summary>
    public TemplateException() : base(ErrorKind.Input, "Template error.") { }

    /// <summary>Creates the exception.</summary>
    public TemplateException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }

    /// <summary>True when the template was well formed but a field it names is absent from the item or sample.</summary>
    public bool MissingField { get; }
}
