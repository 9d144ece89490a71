using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Import;
using Hone.Data.Import.Json;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;
using Microsoft.Extensions.AI;

namespace Hone.Training.Dpo;

/// <summary>One preference pair as token sequences: the same prompt (untrained) followed by each completion (trained).</summary>
/// <param name="Chosen">Prompt + preferred completion; only the completion's tokens are scored.</param>
/// <param name="Rejected">Prompt + non-preferred completion; only the completion's tokens are scored.</param>
public sealed record PreferencePair(TokenizedExample Chosen, TokenizedExample Rejected)
{
    /// <summary>Where the pair came from (file:line or file record N); empty when built in code.</summary>
    public string Where { get; init; } = "";

    /// <summary>The shared prompt (messages and tools), when read from a file.</summary>
    public PreferenceInput? Input { get; init; }
}

/// <summary>A problem with one record of a data file: where (file:line) and what.</summary>
/// <param name="Where">file:line (or file record N).</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record DataFinding(string Where, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Where}: {Message}";
}

/// <summary>
/// Reads preference pairs for DPO: OpenAI preference JSONL (<c>input</c> / <c>preferred_output</c> /
/// <c>non_preferred_output</c>), Hugging Face <c>prompt</c> / <c>chosen</c> / <c>rejected</c> JSON or JSONL, and
/// LLaMA-Factory ShareGPT preference JSON (<c>conversations</c> + <c>chosen</c> / <c>rejected</c>). The prompt is rendered
/// with the model's chat template and masked (earlier assistant turns get weight 0); only the completion — including its
/// end-of-turn token — is scored. Bad records become findings with their line; nothing is silently dropped.
/// </summary>
public static class PreferenceData
{
    /// <summary>Reads and tokenizes the pairs of <paramref name="path"/>; bad records are returned as findings.</summary>
    public static (List<PreferencePair> Pairs, List<DataFinding> Findings) Read(string path, ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (!File.Exists(path)) throw new TrainingException($"Pair file '{path}' not found.");
        var pairs = new List<PreferencePair>();
        var findings = new List<DataFinding>();
        foreach (var (example, where) in Examples(path, findings))
        {
            try
            {
                if (example.Input.Messages.Count == 0) { findings.Add(new(where, "the prompt (input.messages) is empty; give at least one user message.")); continue; }
                if (example.PreferredOutput.Count == 0 || example.NonPreferredOutput.Count == 0)
                {
                    findings.Add(new(where, "a pair needs both a preferred and a non-preferred output."));
                    continue;
                }
                var chosen = Encode(encoder, example.Input, example.PreferredOutput);
                var rejected = Encode(encoder, example.Input, example.NonPreferredOutput);
                if (chosen.TargetCount(false) == 0 || rejected.TargetCount(false) == 0)
                {
                    findings.Add(new(where, "an output renders to no scored tokens (is it an assistant message with content?)."));
                    continue;
                }
                if (chosen.Ids.AsSpan().SequenceEqual(rejected.Ids)) { findings.Add(new(where, "the preferred and non-preferred outputs are identical; the pair carries no signal — fix or drop it.")); continue; }
                pairs.Add(new PreferencePair(chosen, rejected) { Where = where, Input = example.Input });
            }
            catch (Exception e) when (e is FormatException or OpenAiChatException or InvalidOperationException or JsonException or ArgumentException)
            {
                findings.Add(new(where, $"cannot render the pair with the chat template ({e.Message})."));
            }
        }
        if (pairs.Count == 0 && findings.Count == 0) findings.Add(new(path, "holds no preference pairs."));
        return (pairs, findings);
    }

    /// <summary>Reads the pairs and throws one <see cref="TrainingException"/> listing every finding when there are any.</summary>
    public static List<PreferencePair> ReadOrThrow(string path, ChatEncoder encoder)
    {
        var (pairs, findings) = Read(path, encoder);
        if (findings.Count > 0)
            throw new TrainingException($"{findings.Count} bad record(s) in the pair file (run 'hone data check' on it):\n  " +
                string.Join("\n  ", findings.Take(20)) + (findings.Count > 20 ? $"\n  … and {findings.Count - 20} more" : ""));
        return pairs;
    }

    /// <summary>
    /// Applies the <c>--on-overflow</c> policy to pairs whose longer sequence is over <paramref name="limit"/>. Truncation
    /// cuts the same tokens from the start of the shared prompt's earliest non-system turns in both sequences (so the
    /// prompts stay identical) and keeps BOS, the system prompt and both completions whole; else the pair is dropped.
    /// </summary>
    public static (List<PreferencePair> Pairs, OverflowReport Report) Fit(IReadOnlyList<PreferencePair> pairs, ChatEncoder encoder,
        string set, int limit, OverflowPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return ContextOverflow.Apply(pairs, set, "pairs", limit, policy, p => Math.Max(p.Chosen.Length, p.Rejected.Length), p => p.Where,
            p => Truncate(p, encoder, limit));
    }

    private static (PreferencePair? Fitted, string Detail) Truncate(PreferencePair p, ChatEncoder encoder, int limit)
    {
        int excess = Math.Max(p.Chosen.Length, p.Rejected.Length) - limit;
        int protect = Math.Min(ContextOverflow.FirstTargetStart(p.Chosen), ContextOverflow.FirstTargetStart(p.Rejected));
        int keep = p.Input is { } input
            ? ContextOverflow.SystemPrefix(encoder, input.Messages, input.Tools, p.Chosen.Ids)
            : encoder.Tokenizer.BosId is int b && p.Chosen.Length > 0 && p.Chosen.Ids[0] == b ? 1 : 0;
        keep = Math.Min(keep, protect);
        int c = p.Chosen.Length - protect, r = p.Rejected.Length - protect;
        var chosen = ContextOverflow.Cut(p.Chosen, p.Chosen.Length - excess, keep, protect);
        var rejected = ContextOverflow.Cut(p.Rejected, p.Rejected.Length - excess, keep, protect);
        if (chosen is null || rejected is null)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"the first {keep} tokens (BOS and system prompt) and the longer completion ({Math.Max(c, r)} tokens) alone need {keep + Math.Max(c, r)} of the {limit}-token context"));
        }

        return (p with { Chosen = chosen, Rejected = rejected }, ContextOverflow.CutDetail(keep, excess, $"both completions ({c} and {r} tokens)"));
    }

    /// <summary>Prompt messages (earlier assistant turns not trained) + the output messages (trained), tokenized.</summary>
    public static TokenizedExample Encode(ChatEncoder encoder, PreferenceInput input, IReadOnlyList<ChatMessage> output)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var nodes = new List<JsonNode>();
        foreach (var m in input.Messages)
        {
            var node = JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!.AsObject();
            if (m.Role == ChatRole.Assistant) node["weight"] = 0;
            nodes.Add(node);
        }
        foreach (var m in output)
        {
            var node = JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!.AsObject();
            node.Remove("weight");
            nodes.Add(node);
        }
        var tools = input.Tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(input.Tools, OpenAiJson.Options) : null;
        return TokenizedExample.FromEncoded(encoder.Encode(nodes, tools));
    }

    private static IEnumerable<(PreferenceExample Example, string Where)> Examples(string path, List<DataFinding> findings)
    {
        var first = File.ReadLines(path).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l))?.TrimStart() ?? "";
        bool openAi = first.StartsWith('{') && first.Contains("\"preferred_output\"", StringComparison.Ordinal);
        if (openAi)
        {
            long lineNo = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                PreferenceExample? e = null;
                try { e = OpenAiJson.ParsePreference(line, path, lineNo); }
                catch (DataFormatException ex) { findings.Add(new($"{path}:{lineNo}", ex.Message)); }
                if (e is not null) yield return (e, $"{path}:{lineNo}");
            }
            yield break;
        }
        bool shareGpt = File.ReadLines(path).Take(20).Any(l => l.Contains("\"conversations\"", StringComparison.Ordinal));
        var context = new ImportContext(path);
        ImportOptions options = shareGpt ? new ShareGptPreferenceImportOptions { InputPath = path } : new PreferenceImportOptions { InputPath = path };
        long record = 0;
        foreach (var e in Importers.ReadPreference(options, context))
        {
            record++;
            yield return (e, $"{path} record {record}");
        }
        foreach (var p in context.Problems) findings.Add(new(p.Line is { } l ? $"{path}:{l}" : $"{path} record {p.Record}", StripWhere(p.Message)));
    }

    private static string StripWhere(string message)
    {
        int i = message.IndexOf(": ", StringComparison.Ordinal);
        return i > 0 ? message[(i + 2)..] : message;
    }
}
