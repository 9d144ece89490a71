using System.Text.RegularExpressions;

namespace Hone.Prompting.Guards;

/// <summary>A prompt a meta-model proposed: its explanation and the new system and user templates (null: keep the original's).</summary>
/// <param name="Explanation">What the meta-model says is wrong and what it changed.</param>
/// <param name="System">The proposed system template, or null to keep the original.</param>
/// <param name="User">The proposed user template, or null to keep the original.</param>
/// <param name="Complete">True when the reply closed its prompt block (a cut reply is not).</param>
/// <param name="FinishReason">Why the reply ended (<c>length</c>: cut at the token limit).</param>
public sealed record Proposal(string Explanation, string? System, string? User, bool Complete, string? FinishReason)
{
    /// <summary>
    /// Parses the meta-model's reply: <c>&lt;explanation&gt;…&lt;/explanation&gt;</c> then
    /// <c>&lt;prompt&gt;&lt;system&gt;…&lt;/system&gt;&lt;user&gt;…&lt;/user&gt;&lt;/prompt&gt;</c>.
    /// </summary>
    public static Proposal Parse(string reply, string? finishReason)
    {
        ArgumentNullException.ThrowIfNull(reply);
        string? Tag(string name, string text)
        {
            var m = Regex.Match(text, $"<{name}>\\n?(.*?)\\n?</{name}>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
            return m.Success ? m.Groups[1].Value : null;
        }
        var explanation = Tag("explanation", reply) ?? "";
        int open = reply.IndexOf("<prompt>", StringComparison.Ordinal);
        int close = reply.IndexOf("</prompt>", StringComparison.Ordinal);
        var block = open >= 0 ? reply[open..(close > open ? close : reply.Length)] : "";
        return new Proposal(explanation.Trim(), Tag("system", block), Tag("user", block), open >= 0 && close > open, finishReason);
    }
}
