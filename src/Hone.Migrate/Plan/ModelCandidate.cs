using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hone.Migrate.Plan;

/// <summary>A local base model the migration could train, as its folder describes it.</summary>
/// <param name="Path">The folder (config.json, safetensors, tokenizer).</param>
/// <param name="Name">The folder name.</param>
/// <param name="Parameters">Parameter count from config.json (Llama family shapes).</param>
/// <param name="Context">Context length (max_position_embeddings).</param>
/// <param name="ChatTemplate">"own" when tokenizer_config.json carries one, else "none (pass --template)".</param>
/// <param name="Licence">From the model card's front matter (license:), a LICENSE file's first line, or "unknown (check before use)".</param>
/// <param name="DiskBytes">Bytes of the weights on disk.</param>
/// <param name="Usable">Whether it can be trained as found (a chat template, a tokenizer, the context fits the longest case).</param>
/// <param name="Note">Why it is not usable, or an empty string.</param>
public sealed record ModelCandidate(string Path, string Name, long Parameters, int Context, string ChatTemplate, string Licence, long DiskBytes, bool Usable, string Note);

/// <summary>Finds and describes local base-model candidates.</summary>
public static partial class ModelCandidates
{
    /// <summary>Model folders at or below <paramref name="roots"/> (a folder with config.json, or a folder of such folders; one level deep).</summary>
    public static List<ModelCandidate> Find(IEnumerable<string> roots, int longestCaseTokens)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var found = new List<ModelCandidate>();
        foreach (var root in roots.Where(Directory.Exists))
        {
            if (File.Exists(System.IO.Path.Combine(root, "config.json"))) found.Add(Describe(root, longestCaseTokens));
            else
            {
                foreach (var d in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
                    if (File.Exists(System.IO.Path.Combine(d, "config.json"))) found.Add(Describe(d, longestCaseTokens));
            }
        }
        return [.. found.DistinctBy(c => c.Path)];
    }

    /// <summary>Describes one model folder.</summary>
    public static ModelCandidate Describe(string folder, int longestCaseTokens)
    {
        folder = System.IO.Path.GetFullPath(folder);
        var name = System.IO.Path.GetFileName(folder);
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(folder, "config.json"))) as JsonObject ?? [];
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return new ModelCandidate(folder, name, 0, 0, "unknown", "unknown", 0, false, $"config.json unreadable: {e.Message}");
        }
        int Int(string key, int fallback = 0) => config[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : fallback;
        int dim = Int("hidden_size"), layers = Int("num_hidden_layers"), hidden = Int("intermediate_size"), vocab = Int("vocab_size");
        int heads = Math.Max(1, Int("num_attention_heads", 1)), kv = Int("num_key_value_heads", heads), headDim = Int("head_dim", dim / heads);
        bool tied = config["tie_word_embeddings"] is JsonValue t && t.TryGetValue<bool>(out var tb) && tb;
        long perLayer = (long)dim * headDim * heads * 2 + (long)dim * headDim * kv * 2 + 3L * dim * hidden + 2L * dim;
        long parameters = perLayer * layers + (long)vocab * dim * (tied ? 1 : 2) + dim;
        int context = Int("max_position_embeddings");
        var tokConfig = System.IO.Path.Combine(folder, "tokenizer_config.json");
        bool template = File.Exists(tokConfig) && File.ReadAllText(tokConfig).Contains("\"chat_template\"", StringComparison.Ordinal);
        bool tokenizer = File.Exists(System.IO.Path.Combine(folder, "tokenizer.json")) || File.Exists(System.IO.Path.Combine(folder, "tokenizer.model"));
        long disk = Directory.EnumerateFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var notes = new List<string>();
        if (!tokenizer) notes.Add("no tokenizer.json or tokenizer.model");
        if (!template) notes.Add("no chat template (pass --template)");
        if (context > 0 && longestCaseTokens > context) notes.Add($"the longest case (~{longestCaseTokens} tokens) exceeds the context of {context}");
        if (disk == 0) notes.Add("no .safetensors weights");
        return new ModelCandidate(folder, name, parameters, context, template ? "own" : "none (pass --template)", Licence(folder), disk,
            tokenizer && disk > 0 && (context == 0 || longestCaseTokens <= context), string.Join("; ", notes));
    }

    /// <summary>The licence a model folder states: README.md front matter, a LICENSE file, or config.json's "license".</summary>
    public static string Licence(string folder)
    {
        var readme = System.IO.Path.Combine(folder, "README.md");
        if (File.Exists(readme))
        {
            var text = File.ReadAllText(readme);
            if (text.StartsWith("---", StringComparison.Ordinal))
            {
                var end = text.IndexOf("\n---", 3, StringComparison.Ordinal);
                var front = end > 0 ? text[..end] : text;
                var m = LicenceLine().Match(front);
                if (m.Success) return m.Groups[1].Value.Trim().Trim('"', '\'');
            }
        }
        foreach (var f in Directory.EnumerateFiles(folder, "LICEN*").Order(StringComparer.Ordinal))
        {
            var first = File.ReadLines(f).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
            if (first is not null) return $"{first} ({System.IO.Path.GetFileName(f)})";
        }
        return "unknown (check before use)";
    }

    [GeneratedRegex(@"^license:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex LicenceLine();
}
