namespace Hone.Ui;

/// <summary>A started dashboard: where it listens and the workspace it serves (<c>hone ui --json</c>).</summary>
/// <param name="Url">The base address (the real port when 0 was asked for).</param>
/// <param name="Workspace">The workspace root.</param>
public sealed record UiStarted(string Url, string Workspace);
