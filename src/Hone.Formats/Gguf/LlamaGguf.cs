namespace Hone.Formats.Gguf;

/// <summary>
/// llama.cpp's conventions for a Llama-architecture GGUF: metadata key names, tensor names and the Q/K row permutation
/// that converts Hugging Face (rotate-half RoPE) projections to the interleaved-pair layout llama.cpp expects.
/// </summary>
public static class LlamaGguf
{
    /// <summary>Metadata keys for architecture "llama".</summary>
    public static class Keys
    {
        /// <summary>general.architecture ("llama").</summary>
        public const string Architecture = "general.architecture";
        /// <summary>general.name.</summary>
        public const string Name = "general.name";
        /// <summary>general.alignment (uint32).</summary>
        public const string Alignment = "general.alignment";
        /// <summary>general.file_type (uint32, llama_ftype: 0 all F32, 1 mostly F16, 7 mostly Q8_0, 32 mostly BF16).</summary>
        public const string FileType = "general.file_type";
        /// <summary>Context length (uint32).</summary>
        public const string ContextLength = "llama.context_length";
        /// <summary>Model dimension (uint32).</summary>
        public const string EmbeddingLength = "llama.embedding_length";
        /// <summary>Layer count (uint32).</summary>
        public const string BlockCount = "llama.block_count";
        /// <summary>FFN hidden dimension (uint32).</summary>
        public const string FeedForwardLength = "llama.feed_forward_length";
        /// <summary>Query heads (uint32).</summary>
        public const string HeadCount = "llama.attention.head_count";
        /// <summary>Key/value heads (uint32).</summary>
        public const string HeadCountKv = "llama.attention.head_count_kv";
        /// <summary>RMSNorm epsilon (float32).</summary>
        public const string RmsEpsilon = "llama.attention.layer_norm_rms_epsilon";
        /// <summary>Head dimension of keys (uint32, optional).</summary>
        public const string KeyLength = "llama.attention.key_length";
        /// <summary>Head dimension of values (uint32, optional).</summary>
        public const string ValueLength = "llama.attention.value_length";
        /// <summary>RoPE dimensions (uint32, = head dim).</summary>
        public const string RopeDimensionCount = "llama.rope.dimension_count";
        /// <summary>RoPE theta (float32).</summary>
        public const string RopeFreqBase = "llama.rope.freq_base";
        /// <summary>Vocabulary size (uint32).</summary>
        public const string VocabSize = "llama.vocab_size";
        /// <summary>Tokenizer model: "llama" (SentencePiece) or "gpt2" (byte-level BPE).</summary>
        public const string TokenizerModel = "tokenizer.ggml.model";
        /// <summary>Pre-tokenizer name for byte-level BPE (e.g. "llama-bpe", "qwen2", "default").</summary>
        public const string TokenizerPre = "tokenizer.ggml.pre";
        /// <summary>Token strings (string[]).</summary>
        public const string Tokens = "tokenizer.ggml.tokens";
        /// <summary>Token scores (float[]).</summary>
        public const string Scores = "tokenizer.ggml.scores";
        /// <summary>Token types (int[]: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).</summary>
        public const string TokenType = "tokenizer.ggml.token_type";
        /// <summary>BPE merges (string[], "a b").</summary>
        public const string Merges = "tokenizer.ggml.merges";
        /// <summary>BOS id (uint32).</summary>
        public const string BosId = "tokenizer.ggml.bos_token_id";
        /// <summary>EOS id (uint32).</summary>
        public const string EosId = "tokenizer.ggml.eos_token_id";
        /// <summary>Unknown id (uint32).</summary>
        public const string UnknownId = "tokenizer.ggml.unknown_token_id";
        /// <summary>Padding id (uint32).</summary>
        public const string PaddingId = "tokenizer.ggml.padding_token_id";
        /// <summary>Whether to add BOS (bool).</summary>
        public const string AddBos = "tokenizer.ggml.add_bos_token";
        /// <summary>Whether to add EOS (bool).</summary>
        public const string AddEos = "tokenizer.ggml.add_eos_token";
        /// <summary>Jinja chat template (string).</summary>
        public const string ChatTemplate = "tokenizer.chat_template";
    }

    /// <summary>Token embedding [vocab, dim] (ggml shape {dim, vocab}).</summary>
    public const string TokenEmbedding = "token_embd.weight";
    /// <summary>Final RMSNorm weight.</summary>
    public const string OutputNorm = "output_norm.weight";
    /// <summary>Classifier [vocab, dim]; absent when tied to the embedding.</summary>
    public const string Output = "output.weight";

    /// <summary>Name of a per-layer tensor: <paramref name="part"/> is attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_up or ffn_down.</summary>
    public static string Block(int layer, string part) => $"blk.{layer}.{part}.weight";

    /// <summary>
    /// The GGUF name of a Hugging Face Llama tensor (model.embed_tokens.weight → token_embd.weight,
    /// model.layers.N.self_attn.q_proj.weight → blk.N.attn_q.weight, ...), the q/k/v biases (Qwen2) and q/k norms
    /// (Qwen3) included; null for a name with no counterpart.
    /// </summary>
    public static string? FromHuggingFace(string hfName)
    {
        ArgumentNullException.ThrowIfNull(hfName);
        switch (hfName)
        {
            case "model.embed_tokens.weight": return TokenEmbedding;
            case "model.norm.weight": return OutputNorm;
            case "lm_head.weight": return Output;
        }
        const string prefix = "model.layers.";
        if (!hfName.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var rest = hfName[prefix.Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !int.TryParse(rest.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var layer)) return null;
        string? part = rest[(dot + 1)..] switch
        {
            "input_layernorm.weight" => "attn_norm",
            "self_attn.q_proj.weight" => "attn_q",
            "self_attn.k_proj.weight" => "attn_k",
            "self_attn.v_proj.weight" => "attn_v",
            "self_attn.o_proj.weight" => "attn_output",
            "post_attention_layernorm.weight" => "ffn_norm",
            "mlp.gate_proj.weight" => "ffn_gate",
            "mlp.up_proj.weight" => "ffn_up",
            "mlp.down_proj.weight" => "ffn_down",
            "self_attn.q_norm.weight" => "attn_q_norm",
            "self_attn.k_norm.weight" => "attn_k_norm",
            _ => null,
        };
        if (part is not null) return Block(layer, part);
        return rest[(dot + 1)..] switch
        {
            "self_attn.q_proj.bias" => $"blk.{layer}.attn_q.bias",
            "self_attn.k_proj.bias" => $"blk.{layer}.attn_k.bias",
            "self_attn.v_proj.bias" => $"blk.{layer}.attn_v.bias",
            _ => null,
        };
    }

    /// <summary>
    /// llama.cpp's HF→GGUF row permutation of a Q or K projection (row-major [heads*headDim, cols]): within each head,
    /// rows are viewed as [2, headDim/2] and transposed to [headDim/2, 2], turning rotate-half pairs (i, i+headDim/2)
    /// into adjacent pairs (2i, 2i+1). Use <paramref name="heads"/> = query heads for Q and key/value heads for K.
    /// </summary>
    public static void PermuteHfToGguf(ReadOnlySpan<float> src, Span<float> dst, int heads, int cols)
    {
        var (rows, half) = Check(src, dst, heads, cols);
        for (var h = 0; h < heads; h++)
            for (var i = 0; i < half; i++)
                for (var j = 0; j < 2; j++)
                    src.Slice((h * 2 * half + j * half + i) * cols, cols).CopyTo(dst.Slice((h * 2 * half + i * 2 + j) * cols, cols));
        _ = rows;
    }

    /// <summary>The inverse of <see cref="PermuteHfToGguf"/> (GGUF / llama2.c interleaved layout → HF rotate-half layout).</summary>
    public static void PermuteGgufToHf(ReadOnlySpan<float> src, Span<float> dst, int heads, int cols)
    {
        var (rows, half) = Check(src, dst, heads, cols);
        for (var h = 0; h < heads; h++)
            for (var i = 0; i < half; i++)
                for (var j = 0; j < 2; j++)
                    src.Slice((h * 2 * half + i * 2 + j) * cols, cols).CopyTo(dst.Slice((h * 2 * half + j * half + i) * cols, cols));
        _ = rows;
    }

    private static (int Rows, int Half) Check(ReadOnlySpan<float> src, Span<float> dst, int heads, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (src.Length != dst.Length || src.Length % cols != 0) throw new ArgumentException("src and dst must both be [rows, cols]", nameof(dst));
        var rows = src.Length / cols;
        if (rows % (2 * heads) != 0) throw new ArgumentException($"{rows} rows do not split into {heads} heads of an even size", nameof(heads));
        if (src.Overlaps(dst)) throw new ArgumentException("src and dst must not overlap", nameof(dst));
        return (rows, rows / heads / 2);
    }
}
