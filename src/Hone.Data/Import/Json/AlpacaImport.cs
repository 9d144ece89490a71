using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Import.Json;

/// <summary>
/// Alpaca JSON/JSONL → chat SFT: <c>{"instruction", "input"?, "output", "system"?, "history"?: [[user, assistant], ...]}</c>.
/// The user turn is the instruction, then a line break and the input when the input is not empty (LLaMA-Factory's
/// rule); history pairs come first, in order.
/// </summary>
public sealed record AlpacaImportOptions : ImportOptions
{
    /// <inheritdoc />
    public override DataKind Produces => DataKind.Sft;
}

/// <summary>Reads Alpaca records as chat SFT examples.</summary>
public static class AlpacaImporter
{
    /// <summary>The examples, lazily; malformed records go to <paramref name="context"/>.</summary>
    public static IEnumerable<ChatExample> Read(AlpacaImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RecordJson.Convert(options.InputPath, context, Convert);
    }

    private static ChatExample Convert(JsonRecord r)
    {
        var rec = RecordJson.Object(r.Value, "$");
        var instruction = RecordJson.RequiredString(rec, "instruction", "$");
        var input = RecordJson.OptionalString(rec, "input", "$");
        var output = RecordJson.RequiredString(rec, "output", "$");
        var system = RecordJson.OptionalString(rec, "system", "$");
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(system)) messages.Add(new ChatMessage(ChatRole.System, system));
        if (rec.TryGetProperty("history", out var history) && history.ValueKind != JsonValueKind.Null)
        {
            if (history.ValueKind != JsonValueKind.Array) throw new RecordProblemException($"$.history is {RecordJson.Kind(history)}, expected a list of [user, assistant] pairs.");
            var i = 0;
            foreach (var pair in history.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                    || pair[0].ValueKind != JsonValueKind.String || pair[1].ValueKind != JsonValueKind.String)
                    throw new RecordProblemException($"$.history[{i}] must be a pair of strings [user, assistant].");
                messages.Add(new ChatMessage(ChatRole.User, pair[0].GetString()));
                messages.Add(new ChatMessage(ChatRole.Assistant, pair[1].GetString()));
                i++;
            }
        }
        var user = string.IsNullOrEmpty(input) ? instruction : instruction + "\n" + input;
        if (user.Trim().Length == 0) throw new RecordProblemException("$.instruction and $.input are both empty; there is no prompt.");
        messages.Add(new ChatMessage(ChatRole.User, user));
        messages.Add(new ChatMessage(ChatRole.Assistant, output));
        return new ChatExample { Messages = messages };
    }
}
