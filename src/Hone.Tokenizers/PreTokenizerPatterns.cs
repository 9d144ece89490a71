namespace Hone.Tokenizers;

/// <summary>
/// The word-splitting regexes of each byte-level BPE family, keyed by GGUF's <c>tokenizer.ggml.pre</c> name
/// (the same lists llama.cpp uses; Hugging Face tokenizer.json files carry theirs inline).
/// </summary>
public static class PreTokenizerPatterns
{
    /// <summary>GPT-2 (also MPT, OLMo, the ByteLevel pre-tokenizer's built-in regex).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama 3 (tiktoken cl100k style: contractions in either case, 1–3 digit groups).</summary>
    public const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2/2.5/3 (single digits).</summary>
    public const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string Contractions = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

    // Written with \u escapes: several of these letters (e.g. U+1FBE, U+2126, U+212A) change under Unicode
    // normalization, which would silently alter the class if they were literal characters.
    private const string DeepseekLetters =
        "A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A";

    // The supplementary-plane letter ranges of the same class, written as UTF-16 surrogate pairs.
    private const string DeepseekSupplementaryLetters =
        @"\uD801[\uDC00-\uDC4F\uDCB0-\uDCD3\uDCD8-\uDCFB]|\uD803[\uDC80-\uDCB2\uDCC0-\uDCF2]|\uD806[\uDCA0-\uDCDF]|\uD83A[\uDD00-\uDD43]";

    /// <summary>
    /// The ordered regex list for a GGUF <c>tokenizer.ggml.pre</c> value, or null when the name is not known.
    /// </summary>
    public static IReadOnlyList<string>? ForGgufPre(string pre)
    {
        ArgumentNullException.ThrowIfNull(pre);
        return pre switch
        {
            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "llama4" or "dbrx" or "smaug-bpe" or "chatglm-bpe" => [Llama3],
            "qwen2" or "stablelm2" or "megrez" or "hunyuan" or "grok-2" => [Qwen2],
            "gpt-2" or "gpt2" or "mpt" or "olmo" or "jais" or "trillion" or "phi-2" => [Gpt2],
            "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" or "minerva-7b" => [@"\p{N}", Gpt2],
            "falcon" => [@"[\p{P}\$\+<=>\^~\|`]+", Contractions, "[0-9][0-9][0-9]"],
            "deepseek-coder" => ["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", @"[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", @"\p{N}"],
            "deepseek-llm" =>
            [
                "[\r\n]",
                @"\s?(?:[" + DeepseekLetters + "]|" + DeepseekSupplementaryLetters + ")+",
                @"\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
                @"\s+\z",
                @"[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
                @"\p{N}+",
            ],
            "default" => [@"[\p{P}\$\+<=>\^~\|]+", Contractions, @"\p{N}+", "[0-9][0-9][0-9]"],
            _ => null,
        };
    }
}
