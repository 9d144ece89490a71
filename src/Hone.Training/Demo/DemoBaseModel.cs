using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Data.Samples;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Hone.Tokenizers.Training;
using Hone.Training.Batching;
using Hone.Training.Export;
using Hone.Training.Optim;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Demo;

/// <summary>What <see cref="DemoBaseModel.Build"/> made (or found already built).</summary>
/// <param name="Path">The Hugging Face model folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json).</param>
/// <param name="Cached">True when a model built with the same options was reused.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="VocabSize">Tokenizer vocabulary (special tokens included).</param>
/// <param name="PretrainTokens">Tokens trained on (all epochs).</param>
/// <param name="Steps">Optimiser steps of the pretraining.</param>
/// <param name="FirstLoss">Training loss of the first step.</param>
/// <param name="FinalLoss">Training loss of the last step.</param>
/// <param name="LossCurve">Training loss per step.</param>
/// <param name="Seconds">Wall time of the build (0 when cached).</param>
public sealed record DemoBaseModelInfo(string Path, bool Cached, long Parameters, int VocabSize, long PretrainTokens, long Steps,
    double FirstLoss, double FinalLoss, IReadOnlyList<double> LossCurve, double Seconds);

/// <summary>
/// The demo's built-in base model: a byte-level BPE tokenizer learned from the task's domain text (with ChatML's
/// special tokens), a small Llama with seeded random weights, and a brief full pretraining on every token of
/// <see cref="DemoCorpus"/> (plain documents and chats that never show the task), saved as a Hugging Face folder with
/// a ChatML chat template, so every other command (generate, eval, train, export) works on it.
/// </summary>
public static class DemoBaseModel
{
    /// <summary>The file in the model folder that records the options and pretraining figures.</summary>
    public const string InfoFile = "hone-demo-base.json";

    /// <summary>The chat template written into tokenizer_config.json (ChatML, as the built-in "chatml").</summary>
    public const string ChatTemplateSource =
        "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";

    /// <summary>The special tokens: end of text, start and end of a turn.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <summary>
    /// Builds the model into <paramref name="folder"/>, or returns the one there when it was built with the same
    /// options. The folder appears only complete (built aside, then moved into place).
    /// </summary>
    public static DemoBaseModelInfo Build(DemoBaseModelOptions options, string folder, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options.Validate();
        folder = System.IO.Path.GetFullPath(folder);
        if (TryReadCached(folder, options) is { } cached) return cached;

        var clock = Stopwatch.StartNew();
        var staging = folder + ".building";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        var tokDir = System.IO.Path.Combine(staging, "tokenizer");
        var modelDir = System.IO.Path.Combine(staging, "model");
        Directory.CreateDirectory(tokDir);
        Directory.CreateDirectory(modelDir);

        // 1. Tokenizer, learned from the corpus.
        var documents = DemoCorpus.Documents(options.Documents, options.Seed).Concat(DemoCorpus.IndexDocuments(options.IndexDocuments, options.Seed)).ToList();
        var conversations = DemoCorpus.Conversations(options.Conversations, options.Seed);
        var bpe = BpeTrainer.Train(DemoCorpus.TokenizerTexts(documents, conversations),
            new BpeTrainerOptions { Merges = options.Merges, SpecialTokens = SpecialTokens });
        var tokenizerJson = System.IO.Path.Combine(tokDir, "tokenizer.json");
        bpe.Write(tokenizerJson);
        var tokenizerConfig = new JsonObject
        {
            ["bos_token"] = null,
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<|endoftext|>",
            ["model_max_length"] = options.MaxSeqLen,
            ["chat_template"] = ChatTemplateSource,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(System.IO.Path.Combine(tokDir, "tokenizer_config.json"), tokenizerConfig);
        var encoder = ChatEncoder.Create(bpe.CreateTokenizer(eosToken: "<|im_end|>"), ChatTemplate.Parse(ChatTemplateSource, "tokenizer_config.json"), "tokenizer_config.json");

        // 2. The pretraining examples: documents end with <|endoftext|>; chats go through the template.
        var eot = bpe.SpecialId("<|endoftext|>");
        var examples = new List<TokenizedExample>(documents.Count + conversations.Count);
        foreach (var d in documents)
        {
            var ids = encoder.Tokenizer.Encode(d).Append(eot).ToArray();
            examples.Add(new TokenizedExample(ids, Enumerable.Repeat(true, ids.Length).ToArray()));
        }
        foreach (var c in conversations) examples.Add(TokenizedExample.FromChat(encoder, c));
        var longest = examples.Max(e => e.Length);
        if (longest > options.MaxSeqLen)
            throw new TrainingException($"Demo base model: a pretraining example has {longest} tokens, more than the context of {options.MaxSeqLen}; raise MaxSeqLen.");

        // 3. A small Llama with seeded random weights, pretrained on every token.
        var config = new LlamaConfig
        {
            Dim = options.Dim, HiddenDim = options.HiddenDim, Layers = options.Layers, Heads = options.Heads, KvHeads = options.KvHeads,
            HeadDim = options.Dim / options.Heads, VocabSize = bpe.VocabSize, MaxSeqLen = options.MaxSeqLen,
            EosIds = [bpe.SpecialId("<|im_end|>"), eot],
        }.Validate("demo base model");
        using var model = new LlamaModel(InitialWeights(config, options.Seed));
        var sftOptions = options.PretrainOptions();
        SftResult result;
        using (var pool = new WorkerPool(options.Threads))
        {
            var engine = options.DataParallel > 1
                ? (ITrainableModel)new DataParallelTrainer(model, sftOptions.MicroBatchSize, options.MaxSeqLen, options.DataParallel, null, pool)
                : new LlamaTrainer(model, sftOptions.MicroBatchSize, options.MaxSeqLen, null, pool);
            using (engine as IDisposable)
            {
                var run = new RunFolder(System.IO.Path.Combine(staging, "pretrain"));
                result = new SftTrainer(engine, sftOptions, examples, null, run).Run(progress, cancellationToken);
            }
        }

        // 4. The Hugging Face folder, then the record that lets the next demo reuse it.
        HfFolderExport.Write(model.Weights, tokDir, tokenizerJson, modelDir);
        File.Copy(System.IO.Path.Combine(tokDir, "tokenizer_config.json"), System.IO.Path.Combine(modelDir, "tokenizer_config.json"));
        var tokens = examples.Sum(e => (long)e.Length) * result.Epochs;
        var info = new DemoBaseModelInfo(folder, false, model.Weights.ParameterCount, bpe.VocabSize, tokens, result.Steps,
            result.History[0].TrainLoss, result.History[^1].TrainLoss, [.. result.History.Select(h => h.TrainLoss)], clock.Elapsed.TotalSeconds);
        File.WriteAllText(System.IO.Path.Combine(modelDir, InfoFile), new JsonObject
        {
            ["options"] = JsonNode.Parse(options.ToJson()),
            ["parameters"] = info.Parameters,
            ["vocab_size"] = info.VocabSize,
            ["pretrain_tokens"] = info.PretrainTokens,
            ["steps"] = info.Steps,
            ["loss_curve"] = new JsonArray([.. info.LossCurve.Select(x => JsonValue.Create(x))]),
            ["seconds"] = info.Seconds,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        CopyFile(System.IO.Path.Combine(staging, "pretrain", RunFolder.ResultsFile), System.IO.Path.Combine(modelDir, "pretrain-results.csv"));
        CopyFile(System.IO.Path.Combine(staging, "pretrain", "chart.svg"), System.IO.Path.Combine(modelDir, "pretrain-chart.svg"));
        CopyFile(System.IO.Path.Combine(staging, "pretrain", "chart.png"), System.IO.Path.Combine(modelDir, "pretrain-chart.png"));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(modelDir, folder);
        Directory.Delete(staging, recursive: true);
        return info;
    }

    private static void CopyFile(string from, string to)
    {
        if (File.Exists(from)) File.Copy(from, to, overwrite: true);
    }

    /// <summary>
    /// The ids of the task's JSON key words (<see cref="OrderExtractionTask.Fields"/>) as the task's system prompt and
    /// answers spell them, ascending: every token whose letters are a key. The tokenizer learned them from the system
    /// prompt, which pretraining never shows the model, so their embedding and output rows stay at their random start;
    /// LoRA cannot change those rows, so the demo's fine-tune trains them (<see cref="LoraOptions.TrainableTokenIndices"/>).
    /// </summary>
    public static int[] TaskKeyTokenIds(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var answer = OrderExtractionTask.Generate(1, 0)[0].AnswerJson;
        return [.. tokenizer.Encode(OrderExtractionTask.SystemPrompt + "\n" + answer)
            .Where(id => OrderExtractionTask.Fields.Contains(new string([.. tokenizer.TokenText(id).Where(char.IsLetter)])))
            .Distinct().Order()];
    }

    /// <summary>The model in <paramref name="folder"/> when it was built with these options, else null.</summary>
    public static DemoBaseModelInfo? TryReadCached(string folder, DemoBaseModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = System.IO.Path.Combine(folder, InfoFile);
        if (!File.Exists(path) || !File.Exists(System.IO.Path.Combine(folder, "model.safetensors"))) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (!JsonNode.DeepEquals(root["options"], JsonNode.Parse(options.ToJson()))) return null;
            var curve = root["loss_curve"]!.AsArray().Select(x => (double)x!).ToList();
            return new DemoBaseModelInfo(folder, true, (long)root["parameters"]!, (int)root["vocab_size"]!, (long)root["pretrain_tokens"]!,
                (long)root["steps"]!, curve.Count > 0 ? curve[0] : double.NaN, curve.Count > 0 ? curve[^1] : double.NaN, curve, 0);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null; // an unreadable record: build again
        }
    }

    /// <summary>
    /// Seeded initial weights: matrices ~ N(0, 0.02²) (the output projections of each block scaled by 1/√(2·layers),
    /// as GPT-2 does), norms 1.
    /// </summary>
    public static LlamaWeights InitialWeights(LlamaConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rng = new TrainingRandom(seed);
        var residualStd = 0.02 / Math.Sqrt(2.0 * config.Layers);
        return LlamaWeights.Create(config, (name, t) =>
        {
            var span = t.Span;
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                span.Fill(1f);
                return;
            }
            var std = name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02;
            for (var i = 0; i < span.Length; i++)
            {
                // Box–Muller: one standard normal per pair of uniforms.
                var u1 = 1.0 - rng.NextDouble();
                var u2 = rng.NextDouble();
                span[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        });
    }
}
