using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Synthesis;
using Hone.Migrate.Capture;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Run;

/// <summary>Writes new inputs like the ones the open model still gets wrong (the improvement loop's synthesis step).</summary>
public interface IInputSynthesizer
{
    /// <summary>Up to <paramref name="perCase"/> new inputs for each failing case (ids unique, tagged <c>synth</c>).</summary>
    Task<IReadOnlyList<CaseInput>> SynthesizeAsync(IReadOnlyList<CaseInput> failures, int perCase, int round, CancellationToken ct);
}

/// <summary>
/// The migration's inputs from the one synthesiser of <c>hone data synth</c> (<see cref="CaseSynthesizer"/>): the hosted
/// model (the teacher, while it still answers; <paramref name="model"/> is its id) is shown each failing case as
/// <c>{"messages": [...]}</c> and writes the new ones in one call per case; a new case's last user turn replaces the
/// failing case's, whose earlier turns (the system prompt) are kept. Lines that are not such a case, and repeats, are skipped.
/// </summary>
public sealed class CaseInputSynthesizer(IChatClient teacher, string model) : IInputSynthesizer
{
    private readonly CaseSynthesizer _synthesizer = new(teacher, model);

    /// <inheritdoc />
    public async Task<IReadOnlyList<CaseInput>> SynthesizeAsync(IReadOnlyList<CaseInput> failures, int perCase, int round, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var list = new List<CaseInput>();
        var seen = new HashSet<string>(failures.Select(f => f.LastUser), StringComparer.Ordinal);
        if (perCase < 1) return list;
        for (int i = 0; i < failures.Count; i++)
        {
            var f = failures[i];
            var shown = new FailingCase(f.Id, JsonSerializer.SerializeToElement(new JsonObject { ["messages"] = f.MessagesJson() }), f.Tags);
            var batch = await _synthesizer.WriteAsync([shown], perCase, (round - 1) * failures.Count + i, ct).ConfigureAwait(false);
            int k = 0;
            foreach (var item in batch.Items)
            {
                var text = item.Item?["messages"] is JsonArray { Count: > 0 } m && m[^1] is JsonObject last && (string?)last["role"] == "user"
                    ? ((string?)last["content"])?.Trim() : null;
                if (string.IsNullOrEmpty(text) || !seen.Add(text) || k >= perCase) continue;
                var messages = f.Messages.Take(f.Messages.Count - 1).Append(("user", text)).ToList();
                list.Add(new CaseInput($"synth-r{round}-{f.Id}-{k++}", messages, [.. f.Tags.Where(t => t != "synth"), "synth"]));
            }
        }
        return list;
    }
}
