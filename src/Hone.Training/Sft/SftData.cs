using System.Globalization;
using System.Text.Json;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;

namespace Hone.Training.Sft;

/// <summary>A tokenized SFT example with where it came from (file:line) and, for chat data, its messages.</summary>
/// <param name="Example">Ids and loss mask.</param>
/// <param name="Where">file:line.</param>
/// <param name="Chat">The chat example (null for prompt/completion data).</param>
public sealed record SourcedExample(TokenizedExample Example, string Where, ChatExample? Chat);

/// <summary>
/// Reads SFT data (chat or prompt/completion JSONL) into tokenized examples that keep their file:line, and fits them
/// to the context with the <c>--on-overflow</c> policy.
/// </summary>
public static class SftData
{
    /// <summary>Reads chat SFT or prompt/completion JSONL; a bad line is an error naming it.</summary>
    /// <exception cref="TrainingException">A line is not valid JSON or not a valid example, or the file holds none.</exception>
    public static List<SourcedExample> Read(string path, ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var list = new List<SourcedExample>();
        long lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = string.Create(CultureInfo.InvariantCulture, $"{path}:{lineNo}");
            JsonElement root;
            try { root = JsonDocument.Parse(line).RootElement; }
            catch (JsonException e) { throw new TrainingException($"{where}: invalid JSON ({e.Message}). Run 'hone data check' on the file."); }
            if (Hone.Data.Jsonl.JsonEscapes.FindLoneSurrogate(line.AsSpan()) is var lone and >= 0)
                throw new TrainingException($"{where}:{lone + 1}: a \\u escape is half of a UTF-16 surrogate pair without its other half; no text can hold it. Run 'hone data check' on the file.");
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("prompt", out var p) && root.TryGetProperty("completion", out var c)
                && !root.TryGetProperty("messages", out _))
            {
                list.Add(new(TokenizedExample.FromPromptCompletion(encoder.Tokenizer, p.GetString() ?? "", c.GetString() ?? ""), where, null));
                continue;
            }
            ChatExample example;
            try { example = OpenAiJson.ParseChat(line, path, lineNo); }
            catch (DataFormatException e) { throw new TrainingException($"{where}: {e.Message} Run 'hone data check' on the file.", e); }
            list.Add(new(TokenizedExample.FromChat(encoder, example), where, example));
        }
        if (list.Count == 0) throw new TrainingException($"{path} holds no examples.");
        return list;
    }

    /// <summary>
    /// Applies <paramref name="policy"/> against <paramref name="limit"/> tokens. Truncation keeps BOS and the system
    /// prompt (for prompt/completion data: BOS) and the last assistant turn (the completion) whole, and cuts from the
    /// start of the earliest other turns; an example whose kept parts alone are over the limit is dropped with the reason.
    /// </summary>
    public static (List<SourcedExample> Examples, OverflowReport Report) Fit(IReadOnlyList<SourcedExample> examples, ChatEncoder encoder,
        string set, int limit, OverflowPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return ContextOverflow.Apply(examples, set, "examples", limit, policy, s => s.Example.Length, s => s.Where, s => Truncate(s, encoder, limit));
    }

    /// <summary>
    /// Checks what the trainer would reject, naming file:line: a token id outside the model's vocabulary, and (for the
    /// training set) an example with nothing to train.
    /// </summary>
    /// <exception cref="TrainingException">The first such example.</exception>
    public static void Check(IEnumerable<SourcedExample> examples, int vocabSize, bool trainOnInputs, bool requireTargets)
    {
        ArgumentNullException.ThrowIfNull(examples);
        foreach (var s in examples)
        {
            foreach (int id in s.Example.Ids)
            {
                if ((uint)id >= (uint)vocabSize)
                    throw new TrainingException($"{s.Where}: token id {id} is outside the model's vocabulary of {vocabSize}; the tokenizer does not belong to this model.");
            }
            if (requireTargets && s.Example.TargetCount(trainOnInputs) == 0)
                throw new TrainingException($"{s.Where}: the example has no trained tokens (no assistant turn with a non-zero weight); fix or drop it, or use --train-on-inputs.");
        }
    }

    private static (SourcedExample? Fitted, string Detail) Truncate(SourcedExample s, ChatEncoder encoder, int limit)
    {
        var e = s.Example;
        int protect = ContextOverflow.LastTargetStart(e);
        int keep = s.Chat is { } chat
            ? ContextOverflow.SystemPrefix(encoder, chat.Messages, chat.Tools, e.Ids)
            : encoder.Tokenizer.BosId is int b && e.Length > 0 && e.Ids[0] == b ? 1 : 0;
        keep = Math.Min(keep, ContextOverflow.FirstTargetStart(e));
        int target = e.Length - protect;
        string what = s.Chat is null ? "the completion" : "the last assistant turn";
        var cut = ContextOverflow.Cut(e, limit, keep, protect);
        if (cut is null)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"the first {keep} tokens (BOS and system prompt) and {what} ({target} tokens) alone need {keep + target} of the {limit}-token context"));
        }

        return (s with { Example = cut }, ContextOverflow.CutDetail(keep, e.Length - limit, $"{what} ({target} tokens)"));
    }
}
