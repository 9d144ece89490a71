using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Tokenizers;

namespace Hone.Training.Export;

/// <summary>
/// The tokenizer side of a trained run's merged folder and adapter folder, so each loads with no --tokenizer and no
/// --template and renders prompts exactly as the run did: the base's tokenizer files (a llama2.c or GGUF SentencePiece
/// vocabulary written as tokenizer.json when <see cref="SentencePieceJsonWriter"/> can do so faithfully, else the
/// tokenizer file as it is), tokenizer_config.json with the run's <c>chat_template</c> and its BOS/EOS tokens (the
/// base's config with those keys set), and special_tokens_map.json — the files TRL saves beside an adapter.
/// </summary>
public static class TokenizerExport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the tokenizer files of <paramref name="run"/> into <paramref name="folder"/>; notes collect what the user should know.</summary>
    /// <param name="run">The run (its base, tokenizer and chat template).</param>
    /// <param name="folder">The export folder being filled.</param>
    /// <param name="contextLength">The model's context (tokenizer_config.json's model_max_length when Hone writes the config).</param>
    /// <param name="withGenerationConfig">Copy the base's generation_config.json too (a merged model folder; not an adapter).</param>
    /// <param name="notes">Collects notes.</param>
    public static void Write(TrainedRun run, string folder, int contextLength, bool withGenerationConfig, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(notes);
        var source = run.TokenizerSource;
        TokenizerBase tokenizer = TokenizerLoader.Load(source);
        if (Directory.Exists(source))
        {
            string[] files = ["tokenizer.json", "tokenizer.model", "tokenizer.bin", "special_tokens_map.json", .. withGenerationConfig ? ["generation_config.json"] : Array.Empty<string>()];
            foreach (var f in files)
                if (File.Exists(Path.Combine(source, f))) File.Copy(Path.Combine(source, f), Path.Combine(folder, f));
        }
        else if (Path.GetExtension(source).ToLowerInvariant() is ".json" or ".model")
        {
            File.Copy(source, Path.Combine(folder, HfFolderExport.TokenizerFileName(source)));
        }
        else if (SpmJson(tokenizer, out var reason) is { } json)
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
        }
        else if (!source.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            File.Copy(source, Path.Combine(folder, "tokenizer.bin"));
            notes.Add($"The tokenizer is copied as tokenizer.bin (llama2.c format): Hone reads it, transformers does not" +
                (reason is null ? "." : $"; it is not written as tokenizer.json because {reason}."));
        }
        else
        {
            notes.Add($"The base is a GGUF file whose {tokenizer.GetType().Name} Hone cannot write as tokenizer.json; use --tokenizer {source} with this folder, or export --format gguf.");
        }

        // The model's tokenizer_config.json (and chat_template.jinja) is the base folder's, else the one beside a tokenizer file.
        var configFolder = Directory.Exists(run.ModelPath) ? run.ModelPath
            : Directory.Exists(source) ? source
            : Path.GetExtension(source).ToLowerInvariant() is ".json" or ".model" ? Path.GetDirectoryName(Path.GetFullPath(source)) : null;
        var config = (configFolder is null ? null : ReadJson(Path.Combine(configFolder, "tokenizer_config.json"))) ?? NewConfig(tokenizer, contextLength);
        var jinja = configFolder is null ? null : Path.Combine(configFolder, "chat_template.jinja");
        if (run.ChatTemplate is { } template)
        {
            config["chat_template"] = template;
            if (File.Exists(jinja)) File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), template); // transformers reads this one first
        }
        else
        {
            if (File.Exists(jinja)) File.Copy(jinja, Path.Combine(folder, "chat_template.jinja"));
            notes.Add($"{run.Path}: the run records no chat template and the base has none; pass --template with this export.");
        }

        var bos = run.BosToken is { Length: > 0 } b ? b : tokenizer.BosId is { } bi ? tokenizer.TokenText(bi) : null;
        var eos = run.EosToken is { Length: > 0 } e ? e : tokenizer.EosId is { } ei ? tokenizer.TokenText(ei) : null;
        if (config["bos_token"] is null && bos is not null) config["bos_token"] = bos;
        if (config["eos_token"] is null && eos is not null) config["eos_token"] = eos;
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(Indented));
        if (!File.Exists(Path.Combine(folder, "special_tokens_map.json")))
        {
            var map = new JsonObject();
            foreach (var key in new[] { "bos_token", "eos_token", "unk_token" })
                if (config[key] is JsonValue v && v.TryGetValue(out string? text)) map[key] = text;
            File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), map.ToJsonString(Indented));
        }
    }

    private static string? SpmJson(TokenizerBase tokenizer, out string? reason)
    {
        reason = null;
        return tokenizer is SentencePieceBpeTokenizer spm ? SentencePieceJsonWriter.TryWrite(spm, out reason) : null;
    }

    /// <summary>A tokenizer_config.json for a base that had none (llama2.c, GGUF): class, special tokens, BOS handling, context.</summary>
    private static JsonObject NewConfig(TokenizerBase tokenizer, int contextLength)
    {
        var spm = tokenizer is SentencePieceBpeTokenizer;
        var unk = Enumerable.Range(0, tokenizer.VocabSize).Cast<int?>().FirstOrDefault(i => tokenizer.Vocab.Kind(i!.Value) == TokenKind.Unknown);
        var config = new JsonObject
        {
            ["tokenizer_class"] = spm ? "LlamaTokenizerFast" : "PreTrainedTokenizerFast",
            ["add_bos_token"] = spm && tokenizer.BosId is not null,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = contextLength,
        };
        if (unk is { } u) config["unk_token"] = tokenizer.TokenText(u);
        if (spm) config["legacy"] = true;
        return config;
    }

    private static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new TrainingException($"{path}: must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: not valid JSON ({e.Message}); fix the base model's file and export again.", e);
        }
    }
}
