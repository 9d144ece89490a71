using System.Text;
using LLama.Native;

namespace Hone.Interop.Tests;

/// <summary>
/// llama.cpp (through LLamaSharp's native API) as an oracle: a GGUF loaded on the CPU backend, its tokenizer, the
/// logits of every position of a sequence in one batch, greedy decoding from the KV cache, and LoRA adapters.
/// llama.cpp's log is captured so a refused file says why.
/// </summary>
internal sealed class LlamaCpp : IDisposable
{
    private static readonly object Gate = new();
    private static readonly StringBuilder Log = new();
    private static bool _configured;

    private readonly SafeLlamaModelHandle _model;
    private readonly List<LoraAdapter> _adapters = [];

    private LlamaCpp(SafeLlamaModelHandle model) => _model = model;

    /// <summary>Vocabulary size as llama.cpp read it.</summary>
    public int VocabSize => _model.Vocab.Count;

    /// <summary>The loaded model's handle.</summary>
    public SafeLlamaModelHandle Model => _model;

    /// <summary>Loads <paramref name="path"/>; throws with llama.cpp's log when it refuses the file.</summary>
    public static LlamaCpp Load(string path, bool vocabOnly = false)
    {
        Configure();
        var p = LLamaModelParams.Default();
        p.n_gpu_layers = 0;
        p.vocab_only = vocabOnly;
        p.check_tensors = true;
        lock (Gate) Log.Clear();
        try
        {
            return new LlamaCpp(SafeLlamaModelHandle.LoadFromFile(path, p));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"llama.cpp refused {path}: {e.Message}\n{TakeLog()}", e);
        }
    }

    /// <summary>What llama.cpp logged since the last load (warnings and errors only).</summary>
    public static string TakeLog()
    {
        lock (Gate)
        {
            var s = Log.ToString();
            Log.Clear();
            return s;
        }
    }

    private static void Configure()
    {
        lock (Gate)
        {
            if (_configured) return;
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error)
                    lock (Gate) Log.Append(level).Append(": ").Append(message);
            });
            NativeApi.llama_empty_call();
        }
    }

    /// <summary>llama.cpp's tokenization (no parsing of special tokens written in the text).</summary>
    public int[] Tokenize(string text, bool addBos) =>
        [.. _model.Tokenize(text, addBos, special: false, Encoding.UTF8).Select(t => (int)t)];

    /// <summary>Loads a GGUF LoRA adapter for this model.</summary>
    public LoraAdapter LoadAdapter(string path)
    {
        lock (Gate) Log.Clear();
        try
        {
            var a = _model.LoadLoraFromFile(path);
            _adapters.Add(a);
            return a;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"llama.cpp refused the adapter {path}: {e.Message}\n{TakeLog()}", e);
        }
    }

    /// <summary>A context of <paramref name="contextLength"/> positions: one thread (results do not depend on scheduling), a float32 KV cache
    /// (F16, llama.cpp's default, when <paramref name="f16Cache"/>), no flash attention.</summary>
    public Context CreateContext(int contextLength, (LoraAdapter Adapter, float Scale)[]? adapters = null, bool f16Cache = false)
    {
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)contextLength;
        p.n_batch = (uint)contextLength;
        p.n_ubatch = (uint)contextLength;
        p.n_seq_max = 1;
        p.n_threads = 1;
        p.n_threads_batch = 1;
        // A float32 KV cache and plain attention (llama.cpp's defaults are an F16 cache and flash attention where it can).
        p.type_k = f16Cache ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32;
        p.type_v = f16Cache ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32;
        p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        var ctx = _model.CreateContext(p);
        if (adapters is { Length: > 0 }) ctx.SetLoraAdapters(adapters);
        return new Context(ctx, VocabSize);
    }

    public void Dispose()
    {
        foreach (var a in _adapters) a.Unload();
        _model.Dispose();
    }

    /// <summary>One llama.cpp context: logits for every position of a sequence, and greedy generation.</summary>
    internal sealed class Context(SafeLLamaContextHandle ctx, int vocab) : IDisposable
    {
        /// <summary>The logits of every position of <paramref name="tokens"/>, [T, vocab], from one batch on a cleared cache.</summary>
        public float[] AllLogits(IReadOnlyList<int> tokens)
        {
            ctx.MemoryClear(true);
            var batch = new LLamaBatch();
            for (int i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
            var all = new float[tokens.Count * vocab];
            for (int i = 0; i < tokens.Count; i++) ctx.GetLogitsIth(i).CopyTo(all.AsSpan(i * vocab, vocab));
            return all;
        }

        /// <summary>Greedy (arg-max) decoding of <paramref name="steps"/> tokens after <paramref name="prompt"/>, one token a step from the cache.</summary>
        public int[] Greedy(IReadOnlyList<int> prompt, int steps)
        {
            ctx.MemoryClear(true);
            var batch = new LLamaBatch();
            for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
            Check(ctx.Decode(batch));
            var output = new int[steps];
            int pos = prompt.Count;
            for (int s = 0; s < steps; s++)
            {
                int next = ArgMax(ctx.GetLogitsIth(batch.TokenCount - 1));
                output[s] = next;
                if (s == steps - 1) break;
                batch.Clear();
                batch.Add(next, pos++, LLamaSeqId.Zero, true);
                Check(ctx.Decode(batch));
            }

            return output;
        }

        private static void Check(DecodeResult r)
        {
            if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}\n{TakeLog()}");
        }

        public void Dispose() => ctx.Dispose();
    }

    /// <summary>Index of the largest value (first on ties), as greedy sampling picks it.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}
