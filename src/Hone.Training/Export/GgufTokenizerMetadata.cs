using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats.Gguf;
using Hone.Tokenizers;

namespace Hone.Training.Export;

/// <summary>
/// The <c>tokenizer.ggml.*</c> metadata of a base model's tokenizer, as llama.cpp reads it: a GGUF base's keys are
/// copied; a SentencePiece tokenizer (tokenizer.model, tokenizer.json with byte fallback, llama2.c tokenizer.bin)
/// becomes model "llama" (tokens, scores, token types); a byte-level BPE tokenizer.json becomes model "gpt2" (tokens,
/// token types, merges, pre-tokenizer name). BOS/EOS/UNK ids and the chat template (the trained run's, else the base's
/// tokenizer_config.json or chat_template.jinja) go along. Token lists shorter than the model's vocabulary are padded with unused tokens.
/// </summary>
public static class GgufTokenizerMetadata
{
    private static readonly string[] PreNames = ["llama-bpe", "qwen2", "gpt-2", "smollm", "falcon", "deepseek-coder", "deepseek-llm", "default"];

    /// <summary>Builds the metadata entries.</summary>
    /// <exception cref="TrainingException">The tokenizer cannot be expressed in GGUF or is larger than the model's vocabulary.</exception>
    /// <param name="baseModelPath">The base model (folder, .gguf or llama2.c .bin).</param>
    /// <param name="source">Its tokenizer: a folder, a .gguf or a tokenizer file (<see cref="TrainedRun.TokenizerSource"/>).</param>
    /// <param name="modelType">The model type (picks the pre-tokenizer name when no preset matches).</param>
    /// <param name="modelVocab">The model's vocabulary size (the token list is padded to it).</param>
    /// <param name="notes">Collects what the user should know.</param>
    /// <param name="chatTemplate">The chat template to write as <c>tokenizer.chat_template</c> (a trained run's, <see cref="TrainedRun.ChatTemplate"/>); null: the base's own, if any.</param>
    public static List<KeyValuePair<string, object>> Build(string baseModelPath, string source, string modelType, int modelVocab, List<string> notes,
        string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(baseModelPath);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(notes);
        var md = new List<KeyValuePair<string, object>>();
        if (source.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(source))
        {
            using var gguf = GgufFile.Open(source);
            foreach (var kv in gguf.Metadata)
                if (kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal) && !(chatTemplate is not null && kv.Key == LlamaGguf.Keys.ChatTemplate)) md.Add(kv);
            if (chatTemplate is not null) md.Add(new(LlamaGguf.Keys.ChatTemplate, chatTemplate));
            return md;
        }

        var tok = TokenizerLoader.Load(source);
        if (Directory.Exists(source))
            source = new[] { "tokenizer.json", "tokenizer.model", "tokenizer.bin" }.Select(f => Path.Combine(source, f)).FirstOrDefault(File.Exists) ?? source;
        var vocab = tok.Vocab;
        if (vocab.Count > modelVocab)
            throw new TrainingException($"{source}: the tokenizer has {vocab.Count} tokens but the model only {modelVocab}; is it the model's own tokenizer?");
        var tokens = new string[modelVocab];
        var types = new int[modelVocab];
        var scores = new float[modelVocab];
        int? unk = null;
        for (int i = 0; i < modelVocab; i++)
        {
            if (i < vocab.Count)
            {
                tokens[i] = vocab.Text(i);
                types[i] = (int)vocab.Kind(i);
                scores[i] = vocab.Score(i);
                if (unk is null && vocab.Kind(i) == TokenKind.Unknown) unk = i;
            }
            else
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = (int)TokenKind.Unused;
            }
        }

        if (modelVocab > vocab.Count) notes.Add($"The tokenizer has {vocab.Count} tokens and the model {modelVocab}; the GGUF vocabulary is padded with unused [PADn] tokens.");
        var folder = Directory.Exists(baseModelPath) ? baseModelPath : Path.GetDirectoryName(Path.GetFullPath(source))!;
        var tokenizerConfig = ReadJson(Path.Combine(folder, "tokenizer_config.json"));
        switch (tok)
        {
            case SentencePieceBpeTokenizer spm:
                md.Add(new(LlamaGguf.Keys.TokenizerModel, "llama"));
                md.Add(new(LlamaGguf.Keys.Tokens, tokens));
                md.Add(new(LlamaGguf.Keys.Scores, scores));
                md.Add(new(LlamaGguf.Keys.TokenType, types));
                md.Add(new("tokenizer.ggml.add_space_prefix", spm.AddSpacePrefix));
                break;
            case ByteLevelBpeTokenizer bpe:
                md.Add(new(LlamaGguf.Keys.TokenizerModel, "gpt2"));
                md.Add(new(LlamaGguf.Keys.TokenizerPre, PreName(bpe, modelType, notes)));
                md.Add(new(LlamaGguf.Keys.Tokens, tokens));
                md.Add(new(LlamaGguf.Keys.TokenType, types));
                md.Add(new(LlamaGguf.Keys.Merges, ReadMerges(source)));
                break;
            default:
                throw new TrainingException($"{source}: a {tok.GetType().Name} cannot be written as GGUF tokenizer metadata.");
        }

        if (tok.BosId is { } bos) md.Add(new(LlamaGguf.Keys.BosId, (uint)bos));
        if (tok.EosId is { } eos) md.Add(new(LlamaGguf.Keys.EosId, (uint)eos));
        else notes.Add($"{source}: the tokenizer names no end-of-sequence token (no eos_token in tokenizer_config.json), so the GGUF has no {LlamaGguf.Keys.EosId} and llama.cpp assumes its default (id 11 for a BPE vocabulary, id 2 for SentencePiece); generation in llama.cpp may not stop where the model ends. Add eos_token to the base model's tokenizer_config.json and export again.");
        if (unk is { } u) md.Add(new(LlamaGguf.Keys.UnknownId, (uint)u));
        bool addBos = tokenizerConfig?["add_bos_token"] is JsonValue ab && ab.TryGetValue(out bool b) ? b : tok is SentencePieceBpeTokenizer && tok.BosId is not null;
        md.Add(new(LlamaGguf.Keys.AddBos, addBos));
        md.Add(new(LlamaGguf.Keys.AddEos, false));
        if ((chatTemplate ?? ChatTemplate(tokenizerConfig, folder)) is { } template) md.Add(new(LlamaGguf.Keys.ChatTemplate, template));
        return md;
    }

    private static string PreName(ByteLevelBpeTokenizer bpe, string modelType, List<string> notes)
    {
        foreach (var name in PreNames)
            if (PreTokenizerPatterns.ForGgufPre(name) is { } p && p.SequenceEqual(bpe.PreTokenizer.Patterns)) return name;
        var guess = modelType is "qwen2" or "qwen3" ? "qwen2" : bpe.IgnoreMerges ? "llama-bpe" : "gpt-2";
        notes.Add($"The tokenizer's pre-tokenizer regexes match no llama.cpp preset exactly; tokenizer.ggml.pre is set to \"{guess}\".");
        return guess;
    }

    private static string[] ReadMerges(string tokenizerJson)
    {
        if (!tokenizerJson.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new TrainingException($"{tokenizerJson}: a byte-level BPE tokenizer needs its tokenizer.json (for the merges) to be written into GGUF.");
        var root = ReadJson(tokenizerJson) ?? throw new TrainingException($"{tokenizerJson}: cannot be read.");
        if (root["model"]?["merges"] is not JsonArray merges) throw new TrainingException($"{tokenizerJson}: model.merges is missing.");
        return [.. merges.Select((m, i) => m switch
        {
            JsonValue v when v.TryGetValue(out string? s) => s,
            JsonArray { Count: 2 } pair => $"{(string?)pair[0]} {(string?)pair[1]}",
            _ => throw new TrainingException($"{tokenizerJson}: merge {i} is neither \"a b\" nor [\"a\", \"b\"]."),
        })];
    }

    private static string? ChatTemplate(JsonObject? tokenizerConfig, string folder)
    {
        var template = tokenizerConfig?["chat_template"] switch
        {
            JsonValue v when v.TryGetValue(out string? s) => s,
            JsonArray list => list.OfType<JsonObject>().FirstOrDefault(o => (string?)o["name"] == "default")?["template"]?.GetValue<string>()
                              ?? list.OfType<JsonObject>().FirstOrDefault()?["template"]?.GetValue<string>(),
            _ => null,
        };
        var jinja = Path.Combine(folder, "chat_template.jinja");
        return template ?? (File.Exists(jinja) ? File.ReadAllText(jinja) : null);
    }

    private static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }
}
