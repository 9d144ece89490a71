using System.Text.Json;
using Hone.Data.Model;

namespace Hone.Data.Checks;

/// <summary>
/// The data check's fast way for the commonest chat example, <c>{"messages": [{"role": R, "content": "text"}, ...]}</c>
/// (nothing else: no tools, names, weights, parts or tool calls): its digest and token count are made straight from the
/// parsed line, without typing the messages (<see cref="ExampleValidators.TypedChat{T}"/>) and writing them back as JSON
/// for the counter. Such a message reads and writes back to the same JSON (<see cref="OpenAiChatWriter"/>: role, then
/// content as a string), so the template reads the same values; the digest is the one <see cref="ExampleValidators.Text"/>
/// writes of the typed messages. The typed way is its twin (tests hold the two to the same digests and reports); any
/// other shape, a counter that cannot count JSON (<see cref="IJsonTokenCounter"/>) and any failure take it.
/// </summary>
internal static class PlainChat
{
    /// <summary>
    /// The digest of a plain example (see the type), or null when the example is not plain or its count fails (the typed
    /// way then counts it, and reports what fails). <paramref name="reinforcement"/>: a reinforcement item (input is the
    /// whole conversation, no output) rather than a chat example (input up to the last assistant turn, which is the output).
    /// </summary>
    public static ExampleDigest? TryDigest(JsonElement root, long line, ITokenCounter counter, bool reinforcement)
    {
        if (counter is not IJsonTokenCounter json || !IsPlain(root, out var messages)) return null;
        try
        {
            var tokens = json.CountMessages(messages, tools: null);
            var count = messages.GetArrayLength();
            var last = count; // the last assistant turn (a chat example has one: the validator made sure)
            string? system = null;
            var i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                var role = Role(m);
                if (system is null && role is OpenAiRoles.System or OpenAiRoles.Developer) system = Content(m).GetString();
                if (role == OpenAiRoles.Assistant) last = i;
                i++;
            }
            if (reinforcement) return new ExampleDigest(line, Text(messages, count), null, system, tokens);
            if (last == count) return null;
            var output = Content(messages[last]).GetString()!.TrimEnd('\n');
            return new ExampleDigest(line, Text(messages, last), output, system, tokens);
        }
#pragma warning disable CA1031 // any failure: the typed way reads and counts the example again and fails (or not) as it always did
        catch (Exception)
        {
            return null;
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// True when <paramref name="root"/> has one key, <c>messages</c>, a list of objects each with exactly <c>role</c>
    /// (system, developer, user or assistant) then <c>content</c> (a string).
    /// </summary>
    public static bool IsPlain(JsonElement root, out JsonElement messages)
    {
        messages = default;
        if (root.ValueKind != JsonValueKind.Object) return false;
        var keys = 0;
        foreach (var p in root.EnumerateObject())
        {
            if (++keys > 1 || !p.NameEquals("messages")) return false;
            messages = p.Value;
        }
        if (messages.ValueKind != JsonValueKind.Array) return false;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) return false;
            var k = 0;
            foreach (var p in m.EnumerateObject())
            {
                var ok = k switch
                {
                    0 => p.NameEquals("role") && p.Value.ValueKind == JsonValueKind.String
                        && (p.Value.ValueEquals(OpenAiRoles.System) || p.Value.ValueEquals(OpenAiRoles.Developer)
                            || p.Value.ValueEquals(OpenAiRoles.User) || p.Value.ValueEquals(OpenAiRoles.Assistant)),
                    1 => p.NameEquals("content") && p.Value.ValueKind == JsonValueKind.String,
                    _ => false,
                };
                if (!ok) return false;
                k++;
            }
            if (k != 2) return false;
        }
        return true;
    }

    /// <summary>The role of a plain message (one of the four constants, no new string).</summary>
    private static string Role(JsonElement m)
    {
        var r = m.GetProperty("role");
        return r.ValueEquals(OpenAiRoles.System) ? OpenAiRoles.System
            : r.ValueEquals(OpenAiRoles.Developer) ? OpenAiRoles.Developer
            : r.ValueEquals(OpenAiRoles.User) ? OpenAiRoles.User
            : OpenAiRoles.Assistant;
    }

    private static JsonElement Content(JsonElement m) => m.GetProperty("content");

    /// <summary><see cref="ExampleValidators.Text"/> of the first <paramref name="n"/> messages (each "role: content\n").</summary>
    private static string Text(JsonElement messages, int n)
    {
        var sb = ExampleValidators.TakeBuilder();
        try
        {
            var i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                if (i++ == n) break;
                sb.Append(Role(m)).Append(": ").Append(Content(m).GetString()).Append('\n');
            }
            return sb.ToString();
        }
        finally
        {
            ExampleValidators.KeepBuilder(sb);
        }
    }
}
