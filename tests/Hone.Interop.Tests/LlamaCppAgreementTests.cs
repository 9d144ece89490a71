using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Tokenizers;
using Hone.Training.Export;
using Xunit.Abstractions;

namespace Hone.Interop.Tests;

/// <summary>
/// llama.cpp as the oracle for every GGUF Hone writes: each architecture's file, in F32 and F16 (and BF16, Q8_0, Q4_0, Q4_K
/// for some, read by Hone in their stored type), loads in llama.cpp,
/// tokenizes llama.cpp's test strings to Hone's ids, gives Hone's 32 greedy tokens, and llama.cpp's logits at every
/// position of a 64-token text are within a stated tolerance of Hone's forward pass over the same file.
/// </summary>
public class LlamaCppAgreementTests(InteropModels models, StoriesRun stories, ITestOutputHelper output) : IClassFixture<InteropModels>, IClassFixture<StoriesRun>
{
    /// <summary>A real text longer than 64 tokens in every vocabulary here.</summary>
    public const string Text =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she saw a big, red ball " +
        "in the park. She ran to it and kicked it as hard as she could. The ball flew over the fence and into Mr. Brown's garden! " +
        "Lily was scared, but she knocked on his door and said: \"I'm sorry, can I have my ball back?\" He smiled, 3 times.";

    public const int Positions = 64;
    public const int Steps = 32;
    public const int PromptLength = 6;

    /// <summary>F32 files: both sides compute in float32 (llama.cpp with an F32 KV cache); only summation order differs (seen: ~1.2e-5).</summary>
    public const double F32Tolerance = 1e-4;

    /// <summary>F16 files: the same F16 weights, but llama.cpp also rounds the activations to F16 inside each matrix product (seen: ~1.4e-2 on logits up to ~30).</summary>
    public const double F16Tolerance = 5e-2;

    /// <summary>Quantised files, read by Hone in their stored type (LoadForInference): llama.cpp also rounds the
    /// activations inside each product (to BF16 for BF16 weights, to Q8_0 blocks for Q8_0 and Q4_0 weights, to q8_K for Q4_K), Hone keeps
    /// them float32, so the logits differ by that rounding (seen at most: see <see cref="Tolerance"/>).</summary>
    public static double Tolerance(GgufExportType type) => type switch
    {
        GgufExportType.F32 => F32Tolerance,
        GgufExportType.F16 => F16Tolerance,
        GgufExportType.BF16 => 0.2, // seen 0.086-0.107 on logits up to ~30
        // Q4_K (its own 256-dim model, logits up to ~47) seen 0.89: llama.cpp rounds the activations to q8_K, one scale per
        // 256 values (8x coarser blocks than Q8_0's); the weights decode to the same floats on both sides (GgmlQ4KTests).
        GgufExportType.Q4_K => 1.5,
        _ => 0.5, // Q8_0 seen 0.28-0.33, Q4_0 0.29-0.35: mostly llama.cpp's Q8_0 rounding of the activations
    };

    public static TheoryData<string, GgufExportType> All()
    {
        var data = new TheoryData<string, GgufExportType>();
        foreach (var c in InteropModels.Cases)
            foreach (var t in new[] { GgufExportType.F32, GgufExportType.F16 })
                data.Add(c.Name, t);

        // Quantised files, read by Hone in their stored type (LoadForInference).
        foreach (var t in new[] { GgufExportType.BF16, GgufExportType.Q8_0, GgufExportType.Q4_0 })
            data.Add("llama2-spm", t);
        data.Add("qwen2", GgufExportType.Q8_0); // tied classifier (stored embedding), q/k/v biases
        data.Add("llama3-bpe", GgufExportType.Q4_0); // untied classifier
        data.Add(InteropModels.SuperBlocks.Name, GgufExportType.Q4_K); // every matrix Q4_K, the embedding too
        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Llama_cpp_loads_the_file_and_agrees_with_Hone(string name, GgufExportType type)
    {
        var c = InteropModels.Case(name);
        var (path, notes) = models.Gguf(c, type);
        Check($"{name} {type}", path, notes, InteropModels.Strings(c.Strings), c.Config.SlidingWindow, type);
    }

    [Theory]
    [InlineData(GgufExportType.F32)]
    [InlineData(GgufExportType.F16)]
    public void The_GGUF_export_of_a_stories260K_fine_tuning_run_agrees_with_Hone(GgufExportType type)
    {
        var result = stories.Export($"tuned-{type}.gguf", new ExportOptions { Format = ExportFormat.Gguf, GgufType = type });
        Check($"stories260K-tuned {type}", result.Path, result.Notes, InteropModels.Strings("llama-spm"), null, type);
    }

    /// <summary>F32 files with an F16 KV cache on both sides: Hone rounds keys and values to F16; llama.cpp also rounds the
    /// queries to F16 inside its products (seen: 4.7e-3 to 5.4e-3 on logits up to ~32, and all greedy tokens equal).</summary>
    public const double F16CacheTolerance = 2e-2;

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Llama_cpp_with_an_F16_cache_agrees_with_Hones_F16_cache(string name)
    {
        var c = InteropModels.Case(name);
        var (path, notes) = models.Gguf(c, GgufExportType.F32);
        Check($"{name} F32, F16 cache", path, notes, InteropModels.Strings(c.Strings), c.Config.SlidingWindow, GgufExportType.F32, KvCacheType.F16);
    }

    public static TheoryData<string> Architectures() => new(InteropModels.Cases.Select(c => c.Name));

    /// <summary>The whole agreement check of one file; <paramref name="window"/> limits the compared positions; both
    /// sides keep their KV cache in <paramref name="cache"/>.</summary>
    private void Check(string label, string path, IReadOnlyList<string> notes, string[] strings, int? window, GgufExportType type, KvCacheType cache = KvCacheType.F32)
    {
        using var cpp = LlamaCpp.Load(path);
        var log = LlamaCpp.TakeLog();
        if (log.Length > 0) output.WriteLine($"llama.cpp warnings while loading:\n{log}");
        using var hone = type <= GgufExportType.F16 ? LlamaModel.LoadGguf(path) : LlamaModel.LoadForInference(path);
        Assert.Equal(type > GgufExportType.F16, hone.Weights.HasStored);
        var tok = TokenizerLoader.Load(path);
        Assert.Equal(hone.Config.VocabSize, cpp.VocabSize);

        // Tokenization: llama.cpp's own test strings and the text, without BOS; then the text as the file asks for it (BOS or not).
        var failures = new List<string>();
        foreach (var s in strings.Append(Text))
        {
            var expected = tok.Encode(s);
            var got = cpp.Tokenize(s, addBos: false);
            if (!expected.SequenceEqual(got))
                failures.Add($"{System.Text.Json.JsonSerializer.Serialize(s)}: Hone [{string.Join(' ', expected)}] llama.cpp [{string.Join(' ', got)}]");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} strings tokenize differently:\n{string.Join('\n', failures)}");
        bool addBos = tok is SentencePieceBpeTokenizer;
        var ids = tok.Encode(Text, addBos: addBos);
        Assert.Equal(ids, cpp.Tokenize(Text, addBos: true));
        Assert.True(ids.Length >= Positions, $"the text is only {ids.Length} tokens");
        ids = ids[..Positions];

        // Logits at every position (within the sliding window, which llama.cpp ignores).
        int v = hone.Config.VocabSize;
        var honeLogits = new float[Positions * v];
        using (var s = hone.CreateSession(maxContext: 128, cacheType: cache)) s.Forward(ids, honeLogits);
        using var ctx = cpp.CreateContext(128, f16Cache: cache == KvCacheType.F16);
        var cppLogits = ctx.AllLogits(ids);
        int compared = window is { } w && w < Positions ? w : Positions;
        double diff = MaxAbsDiff(honeLogits.AsSpan(0, compared * v), cppLogits.AsSpan(0, compared * v));
        double scale = MaxAbs(honeLogits);
        double tolerance = cache == KvCacheType.F16 ? Math.Max(F16CacheTolerance, Tolerance(type)) : Tolerance(type);

        // Greedy decoding from a short prompt, each side from its own KV cache.
        var prompt = ids[..PromptLength];
        using var session = hone.CreateSession(maxContext: 128, cacheType: cache);
        var honeGreedy = new Generator(session).Generate(prompt, new GenerationOptions { MaxNewTokens = Steps, StopAtEos = false }).TokenIds;
        var cppGreedy = ctx.Greedy(prompt, Steps);
        int steps = window is { } sw && sw < PromptLength + Steps ? sw - PromptLength + 1 : Steps;

        output.WriteLine($"{label}: vocab {v}, {strings.Length + 1} strings same ids; " +
                         $"greedy {steps} tokens same: {honeGreedy.AsSpan(0, steps).SequenceEqual(cppGreedy.AsSpan(0, steps))}; " +
                         $"max |Δ logit| over {compared} positions {diff:E2} (logits up to {scale:F1}); notes: {string.Join(" | ", notes)}");
        output.WriteLine($"  Hone      [{string.Join(' ', honeGreedy)}]");
        output.WriteLine($"  llama.cpp [{string.Join(' ', cppGreedy)}]");
        Assert.True(diff < tolerance, $"max |Δ logit| {diff} exceeds {tolerance}");
        int split = Enumerable.Range(0, steps).FirstOrDefault(i => honeGreedy[i] != cppGreedy[i], steps);
        if (split < steps && (type > GgufExportType.F16 || cache == KvCacheType.F16))
        {
            // Quantised files: the two sides round the activations differently, so a near-tie may go either way. Accept a
            // split only where Hone's own logits of the two tokens are within the logit tolerance of each other.
            using var at = hone.CreateSession(maxContext: 128, cacheType: cache);
            var logits = at.Forward([.. prompt, .. honeGreedy[..split]]);
            double margin = logits[honeGreedy[split]] - logits[cppGreedy[split]];
            output.WriteLine($"  greedy splits at step {split}: Hone's margin between the two tokens {margin:E2}");
            Assert.True(margin < tolerance, $"greedy splits at step {split} where Hone prefers its token by {margin}, more than the tolerance {tolerance}");
            steps = split;
        }

        Assert.Equal(honeGreedy[..steps], cppGreedy[..steps]);

        if (compared < Positions)
        {
            // llama.cpp attends past the window (it ignores sliding_window for llama-architecture files): the export says so.
            double beyond = MaxAbsDiff(honeLogits.AsSpan(compared * v), cppLogits.AsSpan(compared * v));
            output.WriteLine($"  beyond the window of {compared}: max |Δ logit| {beyond:E2}");
            Assert.True(beyond > 100 * tolerance, $"llama.cpp now honours the window ({beyond}); compare every position");
            Assert.Contains(notes, n => n.Contains("sliding window", StringComparison.Ordinal));
        }
        else
        {
            Assert.DoesNotContain(notes, n => n.Contains("sliding window", StringComparison.Ordinal));
        }
    }

    internal static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    private static double MaxAbs(ReadOnlySpan<float> a)
    {
        double m = 0;
        foreach (var x in a) m = Math.Max(m, Math.Abs(x));
        return m;
    }
}
