using Hone.Core;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// A chat template failed to parse or render: a syntax error, an undefined value used where a value is needed, a type
/// error (Python semantics), a <c>raise_exception(...)</c> call in the template, or a sandbox limit (output size, loop
/// iterations, recursion depth). The message names the template, the line and column, what went wrong and how to fix it.
/// </summary>
public sealed class ChatTemplateException : HoneException
{
    /// <summary>Creates an exception with a message and no location.</summary>
    public ChatTemplateException() : base(ErrorKind.Input, "chat template error") { }

    /// <summary>Creates an exception with a message and no location.</summary>
    public ChatTemplateException(string message) : base(ErrorKind.Input, message) { Detail = message; }

    /// <summary>Creates an exception with a message, no location, and an inner exception.</summary>
    public ChatTemplateException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { Detail = message; }

    /// <summary>Creates an exception located in a template.</summary>
    public ChatTemplateException(string templateName, int line, int column, string detail, bool raisedByTemplate = false, bool missingValue = false)
        : base(ErrorKind.Input, $"{templateName}:{line}:{column}: {detail}")
    {
        TemplateName = templateName;
        Line = line;
        Column = column;
        Detail = detail;
        RaisedByTemplate = raisedByTemplate;
        MissingValue = missingValue;
    }

    /// <summary>Name of the template (or "&lt;template&gt;").</summary>
    public string? TemplateName { get; }

    /// <summary>1-based line in the template source, 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source, 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Detail { get; } = "chat template error";

    /// <summary>True when the template itself called <c>raise_exception(msg)</c> (the input is not supported by it).</summary>
    public bool RaisedByTemplate { get; }

    /// <summary>True when a <see cref="TextTemplate"/> read a field (or element) its data does not have.</summary>
    public bool MissingValue { get; }

    /// <inheritdoc />
    public override ErrorLocation? Location => TemplateName is null ? null : new(TemplateName, Line, Column);
}

/// <summary>Internal error raised during evaluation without a location; the evaluator adds line:column.</summary>
internal sealed class TemplateError : Exception
{
    public TemplateError(string message, bool raised = false) : base(message) { Raised = raised; }
    public TemplateError() { }
    public TemplateError(string message, Exception inner) : base(message, inner) { }
    public bool Raised { get; }
    public bool Missing { get; init; }
}
