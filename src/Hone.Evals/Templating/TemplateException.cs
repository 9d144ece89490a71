namespace Hone.Evals.Templating;

/// <summary>A template or path is malformed (at configuration time) or names a field that is absent (at grading time).</summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TemplateException(string message, bool missingField = false) : base(message) => MissingField = missingField;

    /// <summary>Creates the exception.</summary>
    public TemplateException() : base("Template error.") { }

    /// <summary>Creates the exception.</summary>
    public TemplateException(string message, Exception inner) : base(message, inner) { }

    /// <summary>True when the template was well formed but a field it names is absent from the item or sample.</summary>
    public bool MissingField { get; }
}
