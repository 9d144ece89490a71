using System.Text.Json;
using Hone.Data.Model;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;

namespace Hone.Training.Batching;

/// <summary>
/// One training example as token ids and, for each id, whether the model is trained to produce it (the chat
/// template's loss mask: assistant turns with a non-zero weight, including their end-of-turn token).
/// </summary>
public sealed class TokenizedExample
{
    /// <summary>Creates an example; <paramref name="trained"/> must have one flag per id.</summary>
    public TokenizedExample(int[] ids, bool[] trained)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(trained);
        if (ids.Length != trained.Length)
            throw new ArgumentException($"A tokenized example needs one trained flag per id ({ids.Length} ids, {trained.Length} flags).", nameof(trained));
        Ids = ids;
        Trained = trained;
    }

    /// <summary>Token ids.</summary>
    public int[] Ids { get; }

    /// <summary>For each id, whether it is a trained token.</summary>
    public bool[] Trained { get; }

    /// <summary>Number of ids.</summary>
    public int Length => Ids.Length;

    /// <summary>Positions that get a target (a position t predicts id t+1) under the given rule.</summary>
    public int TargetCount(bool trainOnInputs)
    {
        if (Ids.Length < 2) return 0;
        if (trainOnInputs) return Ids.Length - 1;
        int c = 0;
        for (int i = 1; i < Trained.Length; i++) if (Trained[i]) c++;
        return c;
    }

    /// <summary>From a chat encoded by <see cref="ChatEncoder"/> (its ids and loss mask).</summary>
    public static TokenizedExample FromEncoded(EncodedChat encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return new TokenizedExample(encoded.Ids, encoded.Trained);
    }

    /// <summary>Renders and tokenizes a chat example with the model's template; assistant turns with weight 0 are not trained.</summary>
    public static TokenizedExample FromChat(ChatEncoder encoder, ChatExample example)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(example);
        var nodes = example.Messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
        var tools = example.Tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(example.Tools, OpenAiJson.Options) : null;
        return FromEncoded(encoder.Encode(nodes, tools));
    }

    /// <summary>
    /// A prompt/completion pair: BOS (when the vocabulary has one) + prompt ids (not trained) + completion ids and EOS
    /// (trained). The two texts are tokenized separately so that the boundary is exact.
    /// </summary>
    public static TokenizedExample FromPromptCompletion(ITokenizer tokenizer, string prompt, string completion)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(completion);
        var p = tokenizer.Encode(prompt, addBos: true);
        var c = tokenizer.Encode(completion);
        int eos = tokenizer.EosId.HasValue ? 1 : 0;
        var ids = new int[p.Length + c.Length + eos];
        var trained = new bool[ids.Length];
        p.CopyTo(ids, 0);
        c.CopyTo(ids, p.Length);
        if (tokenizer.EosId is int eosId) ids[^1] = eosId;
        for (int i = p.Length; i < ids.Length; i++) trained[i] = true;
        return new TokenizedExample(ids, trained);
    }
}
