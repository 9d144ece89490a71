using System.Text.Json;
using Hone.Evals.Graders;

namespace Hone.Prompting.Files;

/// <summary>
/// A prompt file (YAML in the workspace's <c>prompts/</c>): the system and user templates, few-shot examples, tools,
/// a response format and sampling settings; or a chain: ordered <see cref="Steps"/>, each naming its own prompt.
/// Loaded by <see cref="PromptFileReader"/>; immutable.
/// </summary>
public sealed record PromptFile
{
    /// <summary>The prompt's name (the <c>name</c> key, default the file name).</summary>
    public required string Name { get; init; }

    /// <summary>Absolute path of the file ("" for a prompt built in memory).</summary>
    public required string SourcePath { get; init; }

    /// <summary>SHA-256 of everything that decides the requests (the file and the files it names).</summary>
    public required string ContentHash { get; init; }

    /// <summary>The system template, or null.</summary>
    public PromptTemplate? System { get; init; }

    /// <summary>The user template, or null (then a case's own messages are sent).</summary>
    public PromptTemplate? User { get; init; }

    /// <summary>Few-shot examples, sent between the system message and the case.</summary>
    public IReadOnlyList<FewShotExample> FewShot { get; init; } = [];

    /// <summary>Tools offered to the model.</summary>
    public IReadOnlyList<PromptTool> Tools { get; init; } = [];

    /// <summary>The most model rounds a tool-using request may take (each round runs the tools the model called).</summary>
    public int MaxToolRounds { get; init; } = 4;

    /// <summary>The JSON schema the answer must follow, or null for free text.</summary>
    public ResponseFormatSpec? ResponseFormat { get; init; }

    /// <summary>Sampling settings.</summary>
    public SamplingSettings Sampling { get; init; } = new();

    /// <summary>The steps of a chain (empty for a single prompt).</summary>
    public IReadOnlyList<ChainStep> Steps { get; init; } = [];

    /// <summary>True for a chain.</summary>
    public bool IsChain => Steps.Count > 0;

    /// <summary>The line of each top-level key (for lint findings).</summary>
    public IReadOnlyDictionary<string, int> KeyLines { get; init; } = new Dictionary<string, int>();

    /// <summary>The line of <paramref name="key"/>, or 0.</summary>
    public int LineOf(string key) => KeyLines.TryGetValue(key, out var l) ? l : 0;

    /// <summary>The templates of this prompt (system then user).</summary>
    public IEnumerable<PromptTemplate> Templates => new[] { System, User }.OfType<PromptTemplate>();

    /// <summary>Every prompt of the file: itself when single, else each step's prompt.</summary>
    public IEnumerable<PromptFile> Prompts => IsChain ? Steps.Select(s => s.Prompt) : [this];
}

/// <summary>One few-shot example: the messages shown (user, assistant, ...), in order.</summary>
/// <param name="Id">Its id (from a file), or null for an inline example.</param>
/// <param name="Messages">(role, content) pairs.</param>
/// <param name="Line">Its line in the prompt file.</param>
public sealed record FewShotExample(string? Id, IReadOnlyList<(string Role, string Content)> Messages, int Line)
{
    /// <summary>The text of its user turns (what leaks when it equals a golden case).</summary>
    public string UserText => string.Join("\n", Messages.Where(m => m.Role == "user").Select(m => m.Content));

    /// <summary>The text of its assistant turns.</summary>
    public string AssistantText => string.Join("\n", Messages.Where(m => m.Role == "assistant").Select(m => m.Content));
}

/// <summary>A JSON-schema response format.</summary>
/// <param name="Name">The schema's name.</param>
/// <param name="Schema">The JSON schema.</param>
public sealed record ResponseFormatSpec(string Name, JsonElement Schema);

/// <summary>Sampling settings of a prompt; null leaves the provider's default (temperature defaults to 0).</summary>
public sealed record SamplingSettings
{
    /// <summary>Temperature, 0–2.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling, (0, 1].</summary>
    public double? TopP { get; init; }

    /// <summary>Completion token limit.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Stop sequences.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
}

/// <summary>One step of a chain.</summary>
/// <param name="Name">The step's name; later steps read its output as <c>{{ NAME }}</c>.</param>
/// <param name="Prompt">Its prompt.</param>
/// <param name="Inputs">The variables it may read: case fields and earlier steps' names (empty: all of them).</param>
/// <param name="Gate">A grader the step's output must pass before the next step runs, or null.</param>
/// <param name="Line">Its line in the chain file.</param>
public sealed record ChainStep(string Name, PromptFile Prompt, IReadOnlyList<string> Inputs, IGrader? Gate, int Line);
