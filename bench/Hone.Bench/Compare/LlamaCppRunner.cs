using System.Diagnostics;
using LLama.Native;

namespace Hone.Bench.Compare;

/// <summary>llama.cpp (LLamaSharp's CPU backend, in process) timed on a prompt and greedy generation, with its default
/// context settings except the thread counts.</summary>
internal sealed class LlamaCppRunner : IDisposable
{
    private static bool _configured;
    private readonly SafeLlamaModelHandle _model;

    public LlamaCppRunner(string path)
    {
        if (!_configured)
        {
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            NativeApi.llama_empty_call();
        }

        var p = LLamaModelParams.Default();
        p.n_gpu_layers = 0;
        _model = SafeLlamaModelHandle.LoadFromFile(path, p);
    }

    /// <summary>Seconds for the prompt in one batch and seconds per generated token (greedy), one measurement.</summary>
    public (double PromptSeconds, double SecondsPerToken) Time(int[] prompt, int generate, int threads)
    {
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)(prompt.Length + generate + 16);
        p.n_batch = (uint)prompt.Length;
        p.n_ubatch = (uint)prompt.Length;
        p.n_seq_max = 1;
        p.n_threads = threads;
        p.n_threads_batch = threads;
        using var ctx = _model.CreateContext(p);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        var sw = Stopwatch.StartNew();
        Check(ctx.Decode(batch));
        double promptSeconds = sw.Elapsed.TotalSeconds;
        int pos = prompt.Length;
        int next = ArgMax(ctx.GetLogitsIth(batch.TokenCount - 1));
        sw.Restart();
        for (int s = 0; s < generate; s++)
        {
            batch.Clear();
            batch.Add(next, pos++, LLamaSeqId.Zero, true);
            Check(ctx.Decode(batch));
            next = ArgMax(ctx.GetLogitsIth(0));
        }

        return (promptSeconds, sw.Elapsed.TotalSeconds / generate);
    }

    private static void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    public void Dispose() => _model.Dispose();
}
