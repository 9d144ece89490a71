using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Microsoft.Extensions.AI;

namespace Hone.Training.Batching;

/// <summary>One example over the context and what training did with it.</summary>
/// <param name="Where">file:line (or file record N).</param>
/// <param name="Tokens">Its length in tokens as rendered for training (for RFT: the prompt plus --max-tokens).</param>
/// <param name="Truncated">True when it was cut to fit; false when it was left out.</param>
/// <param name="Detail">Exactly what was cut, or why it was dropped.</param>
public sealed record OverflowEntry(string Where, int Tokens, bool Truncated, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Where} ({Tokens} tokens): {Detail}");
}

/// <summary>What the <c>--on-overflow</c> policy did to one data set (training or validation).</summary>
/// <param name="Set">"training" or "validation" (and the unit, for the messages: examples, pairs, prompts).</param>
/// <param name="Unit">examples, pairs or prompts.</param>
/// <param name="Policy">The policy applied.</param>
/// <param name="Limit">The context in tokens the examples had to fit.</param>
/// <param name="Total">Examples in the set before the policy.</param>
/// <param name="Entries">The over-long ones, in file order.</param>
public sealed record OverflowReport(string Set, string Unit, OverflowPolicy Policy, int Limit, int Total, IReadOnlyList<OverflowEntry> Entries)
{
    /// <summary>Examples left out.</summary>
    public int Dropped => Entries.Count(e => !e.Truncated);

    /// <summary>Examples cut to fit.</summary>
    public int Truncated => Entries.Count(e => e.Truncated);

    /// <summary>One line for the user, or null when nothing was over the context.</summary>
    public string? Summary()
    {
        if (Entries.Count == 0) return null;
        var first = Entries.Take(5).Select(e => e.ToString());
        return string.Create(CultureInfo.InvariantCulture,
            $"{Entries.Count} of {Total} {Set} {Unit} are over the {Limit}-token context (--on-overflow {OverflowPolicies.Name(Policy)}): " +
            $"{Dropped} dropped, {Truncated} truncated. {string.Join("; ", first)}{(Entries.Count > 5 ? $"; … and {Entries.Count - 5} more (run.json lists all)" : "")}");
    }

    /// <summary>The report as run.json records it.</summary>
    public JsonObject ToJson() => new()
    {
        ["policy"] = OverflowPolicies.Name(Policy),
        ["context"] = Limit,
        ["examples"] = Total,
        ["over_context"] = Entries.Count,
        ["dropped"] = Dropped,
        ["truncated"] = Truncated,
        ["entries"] = new JsonArray([.. Entries.Select(e => (JsonNode)new JsonObject
        {
            ["where"] = e.Where, ["tokens"] = e.Tokens, ["action"] = e.Truncated ? "truncated" : "dropped", ["detail"] = e.Detail,
        })]),
    };
}

/// <summary>
/// Applies the <c>--on-overflow</c> policy to a data set before a run is registered or anything is written: drop the
/// over-long examples (counted), truncate them (the start of the earliest non-system turns is cut; the target stays
/// whole, else the example is dropped with the reason), or fail naming each one's file:line and token count.
/// </summary>
public static class ContextOverflow
{
    /// <summary>Applies <paramref name="policy"/>; returns the examples training uses and what happened to the others.</summary>
    /// <param name="items">The set, in file order.</param>
    /// <param name="set">"training" or "validation".</param>
    /// <param name="unit">examples, pairs or prompts.</param>
    /// <param name="limit">The context the examples must fit.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="length">An item's length in tokens.</param>
    /// <param name="where">An item's file:line.</param>
    /// <param name="truncate">Cuts an over-long item to the limit: the cut item and what was cut, or null and why it cannot be.</param>
    /// <exception cref="TrainingException">Fail and some item is over the limit, or every item of the training set was dropped.</exception>
    public static (List<T> Kept, OverflowReport Report) Apply<T>(IReadOnlyList<T> items, string set, string unit, int limit, OverflowPolicy policy,
        Func<T, int> length, Func<T, string> where, Func<T, (T? Fitted, string Detail)> truncate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(length);
        ArgumentNullException.ThrowIfNull(where);
        ArgumentNullException.ThrowIfNull(truncate);
        var over = items.Where(i => length(i) > limit).ToList();
        if (policy == OverflowPolicy.Fail && over.Count > 0)
        {
            var lines = over.Take(20).Select(i => string.Create(CultureInfo.InvariantCulture, $"{where(i)}: {length(i)} tokens"));
            throw new TrainingException(
                string.Create(CultureInfo.InvariantCulture, $"{over.Count} {set} {unit} are over the {limit}-token context (--on-overflow fail):\n  {string.Join("\n  ", lines)}") +
                (over.Count > 20 ? string.Create(CultureInfo.InvariantCulture, $"\n  … and {over.Count - 20} more") : "") +
                "\nShorten or remove them ('hone data check --model' lists them), or pass --on-overflow drop (leave them out) or truncate (cut their earliest turns).");
        }

        var kept = new List<T>(items.Count);
        var entries = new List<OverflowEntry>();
        foreach (var item in items)
        {
            int n = length(item);
            if (n <= limit)
            {
                kept.Add(item);
                continue;
            }

            if (policy == OverflowPolicy.Truncate)
            {
                var (fitted, detail) = truncate(item);
                if (fitted is not null && length(fitted) <= limit)
                {
                    kept.Add(fitted);
                    entries.Add(new OverflowEntry(where(item), n, true, detail));
                    continue;
                }

                entries.Add(new OverflowEntry(where(item), n, false, "dropped: " + detail));
                continue;
            }

            entries.Add(new OverflowEntry(where(item), n, false, "dropped"));
        }

        var report = new OverflowReport(set, unit, policy, limit, items.Count, entries);
        if (kept.Count == 0 && items.Count > 0 && set == "training")
            throw new TrainingException($"Every one of the {items.Count} {set} {unit} is over the {limit}-token context; nothing is left to train on. " +
                $"{report.Summary()} Shorten the examples, or use a model with a longer context.");
        return (kept, report);
    }

    /// <summary>
    /// Removes <c>Length − limit</c> tokens starting at <paramref name="keep"/> (the kept prefix: BOS and the system
    /// prompt) when the cut ends at or before <paramref name="protectFrom"/> (the target's first token); else null.
    /// </summary>
    public static TokenizedExample? Cut(TokenizedExample example, int limit, int keep, int protectFrom)
    {
        ArgumentNullException.ThrowIfNull(example);
        int excess = example.Length - limit;
        if (excess <= 0) return example;
        if (keep < 0 || keep + excess > protectFrom) return null;
        var ids = new int[limit];
        var trained = new bool[limit];
        example.Ids.AsSpan(0, keep).CopyTo(ids);
        example.Trained.AsSpan(0, keep).CopyTo(trained);
        example.Ids.AsSpan(keep + excess).CopyTo(ids.AsSpan(keep));
        example.Trained.AsSpan(keep + excess).CopyTo(trained.AsSpan(keep));
        return new TokenizedExample(ids, trained);
    }

    /// <summary>What <see cref="Cut"/> removed, in words.</summary>
    public static string CutDetail(int keep, int excess, string kept) => string.Create(CultureInfo.InvariantCulture,
        $"cut {excess} tokens (positions {keep}–{keep + excess - 1}) from the start of the earliest non-system turns, keeping the first {keep} tokens (BOS and system prompt) and {kept}");

    /// <summary>Index of the first token of the last run of trained tokens (the last assistant turn); the length when none is trained.</summary>
    public static int LastTargetStart(TokenizedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        int i = example.Length - 1;
        while (i >= 0 && !example.Trained[i]) i--;
        if (i < 0) return example.Length;
        while (i > 0 && example.Trained[i - 1]) i--;
        return i;
    }

    /// <summary>Index of the first trained token; the length when none is trained.</summary>
    public static int FirstTargetStart(TokenizedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        int i = Array.IndexOf(example.Trained, true);
        return i < 0 ? example.Length : i;
    }

    /// <summary>
    /// How many leading tokens of <paramref name="ids"/> are BOS plus the system prompt (and tool definitions): the common
    /// prefix of the rendering with the rendering of the leading system messages alone; when the template cannot render
    /// those, just the BOS token.
    /// </summary>
    public static int SystemPrefix(ChatEncoder encoder, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, int[] ids)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(ids);
        int bos = encoder.Tokenizer.BosId is int b && ids.Length > 0 && ids[0] == b ? 1 : 0;
        var system = messages.TakeWhile(m => m.Role.Value is OpenAiRoles.System or OpenAiRoles.Developer).ToList();
        return Math.Max(bos, CommonPrefix(encoder, system, tools, ids, addGenerationPrompt: false));
    }

    /// <summary>
    /// Where the last message of <paramref name="messages"/> starts in <paramref name="ids"/> (the common prefix with the
    /// rendering of the earlier messages); the length minus one when the template cannot render them.
    /// </summary>
    public static int LastMessageStart(ChatEncoder encoder, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, int[] ids)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(ids);
        if (messages.Count < 2) return 0;
        int p = CommonPrefix(encoder, messages.Take(messages.Count - 1).ToList(), tools, ids, addGenerationPrompt: false);
        return p > 0 ? p : Math.Max(0, ids.Length - 1);
    }

    private static int CommonPrefix(ChatEncoder encoder, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, int[] ids, bool addGenerationPrompt)
    {
        int[] part;
        try
        {
            var nodes = messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
            var toolNode = tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(tools, OpenAiJson.Options) : null;
            part = encoder.Encode(nodes, toolNode, addGenerationPrompt).Ids;
        }
        catch (Exception e) when (e is ChatTemplateException or FormatException or OpenAiChatException or InvalidOperationException or JsonException or ArgumentException)
        {
            return 0;
        }

        int n = Math.Min(part.Length, ids.Length), i = 0;
        while (i < n && part[i] == ids[i]) i++;
        return i;
    }
}
