using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Training.Export;

namespace Hone.Interop.Tests;

/// <summary>One architecture of the agreement tests: its shape, where its vocabulary comes from, and llama.cpp's test strings for it.</summary>
/// <param name="Name">The case name.</param>
/// <param name="Config">The tiny model's shape (vocabulary size filled in from the tokenizer).</param>
/// <param name="Tokenizer">How the tokenizer is made: "spm" (Llama 2's tokenizer.model) or a byte-level BPE tokenizer.json built from GPT-2's vocabulary with the named pre-tokenizer ("llama3", "qwen2", "smollm").</param>
/// <param name="Strings">llama.cpp's test strings for a vocabulary of this kind.</param>
public sealed record InteropCase(string Name, LlamaConfig Config, string Tokenizer, string Strings)
{
    public override string ToString() => Name;
}

/// <summary>
/// Tiny random Llama-family models with real vocabularies (dim 64, 2 layers), written as GGUF by Hone's own export
/// (<see cref="GgufExport"/> with <see cref="GgufTokenizerMetadata"/> from a tokenizer.model or tokenizer.json), in
/// F32 and F16. Files are made once per test run and shared.
/// </summary>
public sealed class InteropModels : IDisposable
{
    private readonly Dictionary<(string, GgufExportType), (string Path, List<string> Notes)> _files = [];
    private readonly object _gate = new();

    public InteropModels() => Dir = TestAssets.NewTempDir("interop-models");

    public string Dir { get; }

    private static LlamaConfig Base() => new()
    {
        Dim = 64, HiddenDim = 96, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 16, VocabSize = 1, MaxSeqLen = 256, RopeTheta = 10000,
    };

    /// <summary>Sliding window of the Mistral case that has one (shorter than the 64-token text).</summary>
    public const int Window = 24;

    public static readonly InteropCase[] Cases =
    [
        new("llama2-spm", Base() with { RopeLayout = RopeLayout.Interleaved, BosId = 1 }, "spm", "llama-spm"),
        new("llama3-bpe", Base() with { RopeTheta = 500000, KvHeads = 1 }, "llama3", "gpt-2"),
        new("qwen2", Base() with { ModelType = "qwen2", QkvBias = true, TiedEmbeddings = true, RopeTheta = 1000000, RmsEps = 1e-6f }, "qwen2", "gpt-2"),
        new("qwen3", Base() with { ModelType = "qwen3", QkNorm = true, HeadDim = 24, KvHeads = 2, RopeTheta = 1000000, RmsEps = 1e-6f }, "qwen2", "gpt-2"),
        new("mistral-window", Base() with { ModelType = "mistral", SlidingWindow = Window, BosId = 1 }, "spm", "llama-spm"),
        new("mistral-nowindow", Base() with { ModelType = "mistral", SlidingWindow = 4096, BosId = 1 }, "spm", "llama-spm"),
        new("smollm", Base() with { TiedEmbeddings = true, Heads = 4, KvHeads = 1, RopeTheta = 100000 }, "smollm", "gpt-2"),
    ];

    /// <summary>A Llama 2 shape whose rows are whole Q4_K super-blocks (256 values): only the Q4_K file is made of it.</summary>
    public static readonly InteropCase SuperBlocks =
        new("llama2-spm-256", Base() with { Dim = 256, HiddenDim = 512, HeadDim = 64, RopeLayout = RopeLayout.Interleaved, BosId = 1 }, "spm", "llama-spm");

    public static InteropCase Case(string name) => Cases.Append(SuperBlocks).Single(c => c.Name == name);

    /// <summary>The GGUF of <paramref name="c"/> in <paramref name="type"/>, written on first use, with the export's notes.</summary>
    public (string Path, IReadOnlyList<string> Notes) Gguf(InteropCase c, GgufExportType type)
    {
        lock (_gate)
        {
            if (_files.TryGetValue((c.Name, type), out var f)) return f;
            var source = TokenizerSource(c.Tokenizer);
            var tok = TokenizerLoader.Load(source);
            var config = c.Config with { VocabSize = tok.VocabSize };
            using var model = TinyModels.Create(config, seed: c.Name.Length * 31 + 7);
            Sharpen(model.Weights);
            var notes = new List<string>();
            var metadata = GgufTokenizerMetadata.Build(source, source, config.ModelType, config.VocabSize, notes);
            var path = Path.Combine(Dir, $"{c.Name}-{type}.gguf");
            var writer = GgufExport.Build(model.Weights, c.Name, type, metadata, notes);
            writer.Write(path);
            _files[(c.Name, type)] = (path, notes);
            return (path, notes);
        }
    }

    /// <summary>
    /// The classifier scaled so the largest logits stand well apart (random small models otherwise have near-ties that
    /// F16 rounding can flip): untied lm_head U(±1); tied models already use the embedding's U(±1).
    /// </summary>
    private static void Sharpen(LlamaWeights w)
    {
        if (w.Config.TiedEmbeddings) return;
        var rng = new Random(11);
        var s = w.Arena["lm_head.weight"].Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)((rng.NextDouble() * 2) - 1);
    }

    /// <summary>The tokenizer file or folder for a tokenizer kind.</summary>
    private string TokenizerSource(string kind)
    {
        if (kind == "spm") return TestAssets.Path("tokenizers", "llama2", "tokenizer.model");
        var folder = Path.Combine(Dir, "tok-" + kind);
        if (Directory.Exists(folder)) return folder;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), Gpt2VocabTokenizerJson(kind));
        // As GPT-2's own folder has it: <|endoftext|> is both BOS and EOS, and no BOS is added.
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "add_bos_token": false}""");
        return folder;
    }

    /// <summary>
    /// A Hugging Face tokenizer.json holding GPT-2's real vocabulary and merges (read from llama.cpp's vocabulary GGUF)
    /// with the pre-tokenizer of <paramref name="kind"/>: Llama 3's split regex (and ignore_merges), Qwen2's, or SmolLM's
    /// single digits before GPT-2's ByteLevel regex.
    /// </summary>
    internal static string Gpt2VocabTokenizerJson(string kind)
    {
        using var vocabFile = GgufFile.Open(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-gpt-2.gguf"));
        var tokens = (string[])vocabFile.Metadata[LlamaGguf.Keys.Tokens];
        var merges = (string[])vocabFile.Metadata[LlamaGguf.Keys.Merges];
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        JsonObject Split(string regex) => new()
        {
            ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex }, ["behavior"] = "Isolated", ["invert"] = false,
        };
        JsonObject ByteLevel(bool useRegex) => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = useRegex };
        var pre = kind switch
        {
            "llama3" => new JsonArray(Split(PreTokenizerPatterns.Llama3), ByteLevel(false)),
            "qwen2" => new JsonArray(Split(PreTokenizerPatterns.Qwen2), ByteLevel(false)),
            "smollm" => new JsonArray(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, ByteLevel(true)),
            _ => throw new ArgumentException(kind),
        };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = tokens.Length - 1, ["content"] = tokens[^1], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = pre },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["ignore_merges"] = kind == "llama3",
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)JsonValue.Create(m))]),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>llama.cpp's tokenizer test strings for a vocabulary (test-tokenizer-0's .inp).</summary>
    public static string[] Strings(string vocab)
    {
        var inp = File.ReadAllText(TestAssets.Path("tokenizers", "llamacpp-vocab", $"ggml-vocab-{vocab}.gguf.inp"));
        return inp.Split("\n__ggml_vocab_test__\n")[..^1];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
