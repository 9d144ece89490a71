using Hone.Formats.Gguf;

namespace Hone.Tokenizers;

/// <summary>
/// Builds a tokenizer from a GGUF file's <c>tokenizer.ggml.*</c> metadata: model "llama" is SentencePiece-BPE
/// (tokens, scores, token_type), model "gpt2" is byte-level BPE (tokens, token_type, merges, and the pre-tokenizer
/// named by <c>tokenizer.ggml.pre</c>). BOS/EOS/UNK come from the *_token_id keys.
/// </summary>
public static class GgufTokenizerReader
{
    /// <summary>Opens <paramref name="path"/> and reads its tokenizer.</summary>
    /// <exception cref="TokenizerFormatException">The metadata is missing, mistyped, inconsistent or unsupported.</exception>
    /// <exception cref="GgufFormatException">The file itself is not valid GGUF.</exception>
    public static TokenizerBase Read(string path)
    {
        using var gguf = GgufFile.Open(path);
        return Read(gguf);
    }

    /// <summary>Reads the tokenizer of an open GGUF file.</summary>
    public static TokenizerBase Read(GgufFile gguf)
    {
        ArgumentNullException.ThrowIfNull(gguf);
        var md = gguf.Metadata;
        var where = gguf.Path;
        var model = Get<string>(md, "tokenizer.ggml.model", where);
        var tokens = Get<string[]>(md, "tokenizer.ggml.tokens", where);
        var kinds = md.TryGetValue("tokenizer.ggml.token_type", out var tt) ? ToKinds(tt, tokens.Length, where) : null;
        var bos = OptionalId(md, "tokenizer.ggml.bos_token_id", where);
        var eos = OptionalId(md, "tokenizer.ggml.eos_token_id", where);
        var unk = OptionalId(md, "tokenizer.ggml.unknown_token_id", where);
        switch (model)
        {
            case "llama":
            {
                float[]? scores = null;
                if (md.TryGetValue("tokenizer.ggml.scores", out var sc))
                    scores = sc as float[] ?? throw new TokenizerFormatException($"{where}: tokenizer.ggml.scores is {sc.GetType().Name}, expected an array of float32.");
                var vocab = new Vocabulary(tokens, scores, kinds);
                var prefix = !md.TryGetValue("tokenizer.ggml.add_space_prefix", out var asp) || asp is not bool b || b;
                return new SentencePieceBpeTokenizer(vocab, Check(bos, vocab, where), Check(eos, vocab, where), Check(unk, vocab, where), prefix);
            }
            case "gpt2":
            {
                var vocab = new Vocabulary(tokens, null, kinds);
                var merges = Get<string[]>(md, "tokenizer.ggml.merges", where);
                var pre = md.TryGetValue("tokenizer.ggml.pre", out var p) && p is string ps ? ps : "default";
                var patterns = PreTokenizerPatterns.ForGgufPre(pre) ?? throw new TokenizerFormatException(
                    $"{where}: tokenizer.ggml.pre \"{pre}\" is not a known pre-tokenizer; known: gpt-2, llama3, qwen2, deepseek-llm, deepseek-coder, falcon, mpt, starcoder, refact, smollm, default.");
                var ignoreMerges = pre is "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "llama4";
                return new ByteLevelBpeTokenizer(vocab, merges, new RegexPreTokenizer(patterns), Check(bos, vocab, where), Check(eos, vocab, where), ignoreMerges);
            }
            default:
                throw new TokenizerFormatException($"{where}: tokenizer.ggml.model \"{model}\" is not supported; Hone reads \"llama\" (SentencePiece-BPE) and \"gpt2\" (byte-level BPE).");
        }
    }

    private static T Get<T>(IReadOnlyDictionary<string, object> md, string key, string where) where T : class
    {
        if (!md.TryGetValue(key, out var v)) throw new TokenizerFormatException($"{where}: metadata key {key} is missing; the file has no usable tokenizer.");
        return v as T ?? throw new TokenizerFormatException($"{where}: metadata key {key} is {v.GetType().Name}, expected {typeof(T).Name}.");
    }

    private static int? OptionalId(IReadOnlyDictionary<string, object> md, string key, string where)
    {
        if (!md.TryGetValue(key, out var v)) return null;
        long id = v switch
        {
            uint u => u, int i => i, ulong ul => ul > int.MaxValue ? -1 : (long)ul, long l => l,
            ushort us => us, short s => s, byte b => b, sbyte sb => sb,
            _ => throw new TokenizerFormatException($"{where}: metadata key {key} is {v.GetType().Name}, expected an integer id."),
        };
        if (id < 0 || id > int.MaxValue) throw new TokenizerFormatException($"{where}: metadata key {key} = {id} is not a valid token id.");
        return (int)id;
    }

    // llama.cpp ignores special ids outside the vocabulary; so does Hone.
    private static int? Check(int? id, Vocabulary vocab, string where) => id is { } i && vocab.Contains(i) ? i : null;

    private static TokenKind[] ToKinds(object value, int count, string where)
    {
        int[] raw = value switch
        {
            int[] a => a,
            uint[] a => [.. a.Select(x => (int)Math.Min(x, 99u))],
            _ => throw new TokenizerFormatException($"{where}: tokenizer.ggml.token_type is {value.GetType().Name}, expected an array of int32."),
        };
        if (raw.Length != count)
            throw new TokenizerFormatException($"{where}: tokenizer.ggml.token_type has {raw.Length} entries for {count} tokens.");
        var kinds = new TokenKind[count];
        for (var i = 0; i < count; i++) kinds[i] = raw[i] is >= 1 and <= 6 ? (TokenKind)raw[i] : TokenKind.Normal;
        return kinds;
    }
}
