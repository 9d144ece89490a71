namespace Hone.FineTuning;

/// <summary>
/// A fine-tuning request refused: what the OpenAI API answers with its error shape (HTTP status, message, the parameter at
/// fault and a machine-readable code).
/// </summary>
public sealed class FineTuningException : Exception
{
    /// <summary>Creates the error.</summary>
    public FineTuningException(int status, string message, string? param = null, string? code = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Param = param;
        Code = code;
    }

    /// <summary>Creates a 400 error.</summary>
    public FineTuningException() : this(400, "invalid request") { }

    /// <summary>Creates a 400 error.</summary>
    public FineTuningException(string message) : this(400, message) { }

    /// <summary>Creates a 400 error.</summary>
    public FineTuningException(string message, Exception inner) : this(400, message, null, null, inner) { }

    /// <summary>HTTP status (400 invalid, 404 not found, 409 conflict with the job's state).</summary>
    public int Status { get; }

    /// <summary>The request parameter at fault, if any.</summary>
    public string? Param { get; }

    /// <summary>Machine-readable code.</summary>
    public string? Code { get; }

    /// <summary>A 400 about <paramref name="param"/>.</summary>
    public static FineTuningException Invalid(string param, string message) => new(400, message, param, "invalid_value");

    /// <summary>A 404 for an unknown id.</summary>
    public static FineTuningException NotFound(string what, string id, string param) =>
        new(404, $"No {what} with id '{id}'.", param, what == "file" ? "file_not_found" : "not_found");
}
