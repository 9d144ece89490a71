using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;

namespace Hone.Data.Teach;

/// <summary>One correction: the conversation sent to the model, what it answered, and what it should have answered.</summary>
/// <param name="Messages">The input messages (<c>role</c>/<c>content</c> objects in OpenAI's chat shape), without the answer.</param>
/// <param name="Rejected">The model's answer (the non-preferred output).</param>
/// <param name="Corrected">The edited answer (the training target and the preferred output).</param>
/// <param name="Provenance">Where the correction came from (run, case, time, reason), written as each line's
/// <c>metadata</c>; null writes none.</param>
public sealed record TeachCorrection(IReadOnlyList<JsonObject> Messages, string Rejected, string Corrected, JsonObject? Provenance = null);

/// <summary>The two lines a correction becomes, and the files they go to.</summary>
/// <param name="SftPath">The SFT examples file.</param>
/// <param name="SftLine">The SFT example: the messages plus the corrected assistant answer.</param>
/// <param name="DpoPath">The preference pairs file.</param>
/// <param name="DpoLine">The DPO pair (OpenAI's preference format): corrected preferred over the model's answer.</param>
public sealed record TeachLines(string SftPath, string SftLine, string DpoPath, string DpoLine);

/// <summary>
/// Turns an edited model output into training data: one SFT example and one DPO preference pair, appended to two JSONL
/// files. Each append rewrites its file atomically (<see cref="AtomicFile"/>: the old content plus the new line), so a
/// reader or a crash never sees half a line. <see cref="Plan"/> gives the lines without writing (to show what will be
/// written first).
/// </summary>
public static class TeachWriter
{
    /// <summary>The SFT examples file name inside the teach folder.</summary>
    public const string SftFile = "teach-sft.jsonl";

    /// <summary>The preference pairs file name inside the teach folder.</summary>
    public const string DpoFile = "teach-dpo.jsonl";

    private static readonly Lock Gate = new();

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The lines <paramref name="c"/> becomes in <paramref name="folder"/>, without writing.</summary>
    /// <exception cref="ArgumentException">No user message, an empty correction, or a correction equal to the model's answer (no preference to learn).</exception>
    public static TeachLines Plan(string folder, TeachCorrection c)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(c);
        if (!c.Messages.Any(m => m["role"]?.GetValue<string>() == "user"))
            throw new ArgumentException("The case has no recorded user message (runs made before inputs were recorded): nothing to teach from.");
        if (string.IsNullOrWhiteSpace(c.Corrected)) throw new ArgumentException("The corrected answer is empty: write what the model should have said.");
        if (c.Corrected == c.Rejected) throw new ArgumentException("The corrected answer equals the model's answer: edit it first (there is no preference to learn).");
        var messages = new JsonArray([.. c.Messages.Select(m => m.DeepClone())]);
        var sft = new JsonObject { ["messages"] = messages.DeepClone() };
        sft["messages"]!.AsArray().Add(Assistant(c.Corrected));
        var dpo = new JsonObject
        {
            ["input"] = new JsonObject { ["messages"] = messages },
            ["preferred_output"] = new JsonArray(Assistant(c.Corrected)),
            ["non_preferred_output"] = new JsonArray(Assistant(c.Rejected)),
        };
        if (c.Provenance is { } meta)
        {
            sft["metadata"] = meta.DeepClone();
            dpo["metadata"] = meta.DeepClone();
        }
        var full = Path.GetFullPath(folder);
        return new TeachLines(Path.Combine(full, SftFile), sft.ToJsonString(Json), Path.Combine(full, DpoFile), dpo.ToJsonString(Json));
    }

    /// <summary>Appends the correction's two lines (see <see cref="Plan"/>) and returns them.</summary>
    public static TeachLines Append(string folder, TeachCorrection c)
    {
        var lines = Plan(folder, c);
        lock (Gate)
        {
            AppendLine(lines.SftPath, lines.SftLine);
            AppendLine(lines.DpoPath, lines.DpoLine);
        }
        return lines;
    }

    /// <summary>Appends one line to a JSONL file atomically (the file is rewritten whole through <see cref="AtomicFile"/>).</summary>
    public static void AppendLine(string path, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Contains('\n', StringComparison.Ordinal)) throw new ArgumentException("A JSONL line cannot hold a newline.", nameof(line));
        var old = File.Exists(path) ? File.ReadAllBytes(path) : [];
        var add = Encoding.UTF8.GetBytes(line + "\n");
        AtomicFile.Write(path, s =>
        {
            s.Write(old);
            if (old.Length > 0 && old[^1] != (byte)'\n') s.WriteByte((byte)'\n');
            s.Write(add);
        });
    }

    private static JsonObject Assistant(string text) => new() { ["role"] = "assistant", ["content"] = text };
}
