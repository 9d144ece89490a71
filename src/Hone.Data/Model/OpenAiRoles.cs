namespace Hone.Data.Model;

/// <summary>The role names of OpenAI chat messages, as they appear in JSONL (a message's <c>Role.Value</c>).</summary>
public static class OpenAiRoles
{
    /// <summary><c>system</c></summary>
    public const string System = "system";

    /// <summary><c>developer</c> (the newer name for system instructions).</summary>
    public const string Developer = "developer";

    /// <summary><c>user</c></summary>
    public const string User = "user";

    /// <summary><c>assistant</c></summary>
    public const string Assistant = "assistant";

    /// <summary><c>tool</c>: the answer to an assistant tool call, carrying <c>tool_call_id</c>.</summary>
    public const string Tool = "tool";

    /// <summary><c>function</c>: the legacy answer to a <c>function_call</c>.</summary>
    public const string Function = "function";

    /// <summary>Every role OpenAI's chat formats accept.</summary>
    public static IReadOnlyList<string> All { get; } = [System, Developer, User, Assistant, Tool, Function];

    /// <summary>True for a role name OpenAI accepts.</summary>
    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}
