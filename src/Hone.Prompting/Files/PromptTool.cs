using System.Text.Json;

namespace Hone.Prompting.Files;

/// <summary>A tool offered to the model: its name, description and JSON-schema parameters. Variants say whether and how it runs.</summary>
public abstract record PromptTool(string Name, string? Description, JsonElement Parameters, int Line);

/// <summary>A tool that is only declared: the model's calls are its answer (graded by <c>tool_call_match</c>), never run.</summary>
public sealed record DeclaredTool(string Name, string? Description, JsonElement Parameters, int Line)
    : PromptTool(Name, Description, Parameters, Line);

/// <summary>
/// A tool run as a program (argv, no shell): the call's arguments as JSON on standard input, its standard output the
/// result. A non-zero exit or a timeout is a tool error fed back to the model.
/// </summary>
public sealed record CommandTool(string Name, string? Description, JsonElement Parameters, int Line, IReadOnlyList<string> Command,
    TimeSpan Timeout, string WorkingDirectory) : PromptTool(Name, Description, Parameters, Line);

/// <summary>A tool served over HTTP: the arguments are POSTed as JSON (or sent as the query of a GET); the body is the result.</summary>
public sealed record HttpTool(string Name, string? Description, JsonElement Parameters, int Line, Uri Url, string Method, TimeSpan Timeout)
    : PromptTool(Name, Description, Parameters, Line);
