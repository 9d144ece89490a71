namespace Hone.Evals.Graders.Json;

/// <summary>One way an instance fails a schema: the JSON pointer-like path of the value and what is wrong.</summary>
/// <param name="Path">Where in the instance, e.g. <c>$.items[2].name</c>.</param>
/// <param name="Message">What rule failed.</param>
public sealed record JsonSchemaError(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}
