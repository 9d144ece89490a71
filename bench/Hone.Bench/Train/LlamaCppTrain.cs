using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hone.Models.Benchmarks;
using Hone.Testing;
using Hone.Training.Export;
using LLama.Native;

namespace Hone.Bench.Train;

/// <summary>The outcome of llama.cpp's own training on one model: "ok" with tokens/s, or "failed" with its text.</summary>
internal sealed record LlamaCppTrainResult(string Shape, int Threads, int Seq, string Status, double? TokensPerSecond, double? StepSeconds, int? Steps, string? Failure);

/// <summary>
/// llama.cpp's training API (<c>llama_opt_init</c> / <c>llama_opt_epoch</c>, full fine-tuning with AdamW, as its
/// <c>llama-finetune</c> example drives it: weights not memory-mapped, F32 KV cache, context = batch = micro-batch =
/// the sequence length, one datapoint per optimizer step) on the Hone-written F32 GGUF of the same random model. It runs
/// in a child process (<c>train-llamacpp-child</c>) so that a GGML_ASSERT abort is caught: the parent records the
/// exit code and the last lines of the child's error output.
/// </summary>
internal static unsafe class LlamaCppTrain
{
    private const int GgmlTypeI32 = 26;
    private static long[] _stamps = [];
    private static int _calls;

    /// <summary>Writes the GGUF, runs the child, parses its one JSON line or records its failure.</summary>
    public static LlamaCppTrainResult RunChild(string shape, int seq, int threads, int steps, string outDir)
    {
        string gguf = Path.Combine(outDir, $"train-{shape}-f32.gguf");
        try
        {
            if (!File.Exists(gguf))
            {
                var config = TrainShapes.Get(shape, Math.Max(seq, 16));
                using var random = ModelBenchmark.RandomModel(config);
                var tokenizer = TestAssets.Path("tokenizers", "llama2", "tokenizer.model");
                var md = GgufTokenizerMetadata.Build(tokenizer, tokenizer, config.ModelType, config.VocabSize, []);
                GgufExport.Build(random.Weights, $"bench-{shape}", GgufExportType.F32, md).Write(gguf);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new LlamaCppTrainResult(shape, threads, seq, "failed", null, null, null, $"writing the GGUF failed: {e.GetType().Name}: {e.Message}");
        }

        string self = typeof(LlamaCppTrain).Assembly.Location;
        bool viaDotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet";
        var psi = new ProcessStartInfo(viaDotnet ? Environment.ProcessPath! : Path.ChangeExtension(self, null))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (viaDotnet) psi.ArgumentList.Add(self);
        foreach (var a in new[] { "train-llamacpp-child", gguf, seq.ToString(CultureInfo.InvariantCulture), threads.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string stderr = err.Result;
        string? line = stdout.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode == 0 && line is not null)
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            double stepSeconds = r.GetProperty("step_seconds").GetDouble();
            return new LlamaCppTrainResult(shape, threads, seq, "ok", seq / stepSeconds, stepSeconds, r.GetProperty("steps").GetInt32(), null);
        }

        var tail = string.Join('\n', stderr.Split('\n').Where(l => l.Length > 0).TakeLast(8));
        return new LlamaCppTrainResult(shape, threads, seq, "failed", null, null, null, $"exit code {p.ExitCode}: {tail}");
    }

    /// <summary>The child: loads the GGUF, trains <c>steps</c> + 1 datapoints of <c>seq</c> tokens, prints seconds per step (after the first).</summary>
    public static int Child(string[] args)
    {
        string path = args[0];
        int seq = int.Parse(args[1], CultureInfo.InvariantCulture), threads = int.Parse(args[2], CultureInfo.InvariantCulture), steps = int.Parse(args[3], CultureInfo.InvariantCulture);
        NativeApi.llama_empty_call();
        var mp = LLamaModelParams.Default();
        mp.n_gpu_layers = 0;
        mp.load_mode = LLamaLoadMode.None;
        using var model = SafeLlamaModelHandle.LoadFromFile(path, mp);
        var cp = LLamaContextParams.Default();
        cp.n_ctx = (uint)seq;
        cp.n_batch = (uint)seq;
        cp.n_ubatch = (uint)seq;
        cp.n_seq_max = 1;
        cp.n_threads = threads;
        cp.n_threads_batch = threads;
        cp.type_k = GGMLType.GGML_TYPE_F32;
        cp.type_v = GGMLType.GGML_TYPE_F32;
        using var ctx = model.CreateContext(cp);

        IntPtr llama = NativeLibrary.Load(FindNative("libllama.so"));
        IntPtr ggmlBase = NativeLibrary.Load(FindNative("libggml-base.so"));
        var optInit = (delegate* unmanaged<IntPtr, IntPtr, OptParams, void>)NativeLibrary.GetExport(llama, "llama_opt_init");
        var optEpoch = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, long, IntPtr, IntPtr, void>)NativeLibrary.GetExport(llama, "llama_opt_epoch");
        var datasetInit = (delegate* unmanaged<int, int, long, long, long, long, IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_opt_dataset_init");
        var datasetData = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_opt_dataset_data");
        var datasetLabels = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_opt_dataset_labels");
        var getData = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_get_data");
        var resultInit = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(ggmlBase, "ggml_opt_result_init");

        int ndata = steps + 1;
        IntPtr dataset = datasetInit(GgmlTypeI32, GgmlTypeI32, seq, seq, ndata, 1);
        int* data = (int*)getData(datasetData(dataset));
        int* labels = (int*)getData(datasetLabels(dataset));
        var rng = new Random(1);
        int vocab = model.Vocab.Count;
        for (int d = 0; d < ndata; d++)
        {
            int prev = rng.Next(3, vocab);
            for (int i = 0; i < seq; i++)
            {
                int next = rng.Next(3, vocab);
                data[(d * seq) + i] = prev;
                labels[(d * seq) + i] = next;
                prev = next;
            }
        }

        var op = new OptParams
        {
            NCtxTrain = 0,
            ParamFilter = NativeLibrary.GetExport(llama, "llama_opt_param_filter_all"),
            GetOptPars = NativeLibrary.GetExport(ggmlBase, "ggml_opt_get_default_optimizer_params"),
            OptimizerType = 0, // AdamW
        };
        optInit(ctx.DangerousGetHandle(), model.DangerousGetHandle(), op);
        _stamps = new long[ndata + 1];
        _stamps[0] = Stopwatch.GetTimestamp();
        delegate* unmanaged[Cdecl]<byte, IntPtr, IntPtr, IntPtr, long, long, long, void> callback = &OnBatch;
        optEpoch(ctx.DangerousGetHandle(), dataset, resultInit(), resultInit(), ndata, (IntPtr)callback, IntPtr.Zero);
        int done = _calls;
        if (done < 2) throw new InvalidOperationException($"llama_opt_epoch reported {done} batches; expected {ndata}.");
        double perStep = Stopwatch.GetElapsedTime(_stamps[1], _stamps[done]).TotalSeconds / (done - 1);
        Console.WriteLine(JsonSerializer.Serialize(new { step_seconds = perStep, steps = done - 1 }));
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnBatch(byte train, IntPtr opt, IntPtr dataset, IntPtr result, long ibatch, long ibatchMax, long startUs)
    {
        if (_calls + 1 < _stamps.Length) _stamps[++_calls] = Stopwatch.GetTimestamp();
    }

    /// <summary>The copy of <paramref name="name"/> LLamaSharp already loaded (from /proc/self/maps), so that its handles are ours.</summary>
    private static string FindNative(string name)
    {
        var loaded = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[^1]).FirstOrDefault(f => Path.GetFileName(f) == name);
        return loaded ?? throw new FileNotFoundException($"{name} is not loaded in this process (LLamaSharp loads it on first use)");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OptParams
    {
        public uint NCtxTrain;
        public IntPtr ParamFilter;
        public IntPtr ParamFilterUd;
        public IntPtr GetOptPars;
        public IntPtr GetOptParsUd;
        public int OptimizerType;
    }
}
