using System.Text.Json;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli;

/// <summary>
/// What a command needs from its surroundings: where it runs, where its output goes, and whether the caller asked
/// for JSON. In JSON mode stdout carries exactly one JSON document and the human report is not printed.
/// </summary>
public sealed class CliContext
{
    /// <summary>Creates a context writing to the given writers.</summary>
    public CliContext(TextWriter stdout, TextWriter stderr, string workingDirectory, bool json, bool interactive)
    {
        Stdout = stdout;
        Stderr = stderr;
        WorkingDirectory = workingDirectory;
        Json = json;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(json ? TextWriter.Null : stdout),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive) Console.Profile.Width = 120;
        Interactive = interactive;
    }

    /// <summary>Raw standard output (JSON goes here).</summary>
    public TextWriter Stdout { get; }

    /// <summary>Standard error (errors and warnings).</summary>
    public TextWriter Stderr { get; }

    /// <summary>The folder relative paths are resolved against and the workspace search starts from.</summary>
    public string WorkingDirectory { get; }

    /// <summary>True when <c>--json</c> was given.</summary>
    public bool Json { get; }

    /// <summary>True when attached to a terminal (live progress is shown only then).</summary>
    public bool Interactive { get; }

    /// <summary>The human-readable console (silent in JSON mode).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>JSON settings for every <c>--json</c> document: snake_case, indented, no escaping of non-ASCII.</summary>
    public static readonly JsonSerializerOptions JsonOptions = Hone.App.AppJson.Options;

    /// <summary>Resolves a user-given path against the working directory.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(Path.Combine(WorkingDirectory, path));

    /// <summary>The workspace containing the working directory, or an error telling how to create one.</summary>
    public Workspace RequireWorkspace() => Workspace.Require(WorkingDirectory);

    /// <summary>The workspace containing the working directory, if any.</summary>
    public Workspace? FindWorkspace() => Workspace.Find(WorkingDirectory);

    /// <summary>Writes the JSON result document (only in JSON mode).</summary>
    public void WriteJson<T>(T value)
    {
        if (!Json) return;
        Stdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
    }

    /// <summary>Writes a warning line to stderr.</summary>
    public void Warn(string message) => Stderr.WriteLine("warning: " + message);
}
