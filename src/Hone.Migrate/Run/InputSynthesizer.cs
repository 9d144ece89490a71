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
/// The small built-in generator: the hosted model (the teacher, while it still answers) is shown a failing input and
/// asked for a new one of the same kind; the prompt's earlier turns (the system prompt) are kept. A stand-in for the
/// workflow's <c>hone data synth</c> (issue #14), which can replace it behind <see cref="IInputSynthesizer"/>.
/// </summary>
public sealed class TeacherInputSynthesizer(IChatClient teacher, string model) : IInputSynthesizer
{
    /// <summary>The instruction the teacher gets.</summary>
    public const string Instruction =
        "You write new test inputs for a model. You are shown one input it receives. Write one new input of the same kind, " +
        "format and length, with different details. Reply with the new input only.";

    /// <inheritdoc />
    public async Task<IReadOnlyList<CaseInput>> SynthesizeAsync(IReadOnlyList<CaseInput> failures, int perCase, int round, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var list = new List<CaseInput>();
        var seen = new HashSet<string>(failures.Select(f => f.LastUser), StringComparer.Ordinal);
        foreach (var f in failures)
        {
            for (int k = 0; k < perCase; k++)
            {
                var response = await teacher.GetResponseAsync(
                    [new ChatMessage(ChatRole.System, Instruction), new ChatMessage(ChatRole.User, f.LastUser)],
                    new ChatOptions { ModelId = model, Temperature = 1, Seed = k + 1 }, ct).ConfigureAwait(false);
                var text = response.Text.Trim();
                if (text.Length == 0 || !seen.Add(text)) continue;
                var messages = f.Messages.Take(f.Messages.Count - 1).Append(("user", text)).ToList();
                list.Add(new CaseInput($"synth-r{round}-{f.Id}-{k}", messages, [.. f.Tags.Where(t => t != "synth"), "synth"]));
            }
        }
        return list;
    }
}
