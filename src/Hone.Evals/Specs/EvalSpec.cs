using System.Globalization;
using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Evals.Providers;
using Hone.Evals.Templating;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hone.Evals.Specs;

/// <summary>The prompt of an eval: an optional system prompt and an optional user-message template.</summary>
/// <param name="System">System prompt (prepended unless a case's messages already start with one); null for none.</param>
/// <param name="UserTemplate">User message template over <c>{{item.field}}</c>; null when cases carry messages.</param>
public sealed record EvalPrompt(string? System, Template? UserTemplate);

/// <summary>
/// An eval spec: YAML in the workspace naming the golden set, the prompt, the model(s), the graders and how to run.
/// </summary>
/// <remarks>
/// Keys (unknown keys are errors with line:column; relative paths are relative to the spec's folder):
/// <list type="bullet">
/// <item><c>name</c>: the eval's name (default: the file name without extension).</item>
/// <item><c>golden_set</c> (required): a JSONL golden set (see <see cref="GoldenSet"/>).</item>
/// <item><c>prompt</c>: a mapping <c>{system, system_file, template, template_file}</c>, or the path of a YAML file
/// holding that mapping. <c>template</c> renders the user message from <c>{{item.field}}</c>; without it, every case
/// needs <c>messages</c>.</item>
/// <item><c>model</c> or <c>models</c>: <c>provider:model</c> (a provider of hone.yaml) or <c>local:DIR</c>.</item>
/// <item><c>graders</c> (required): a list; each entry is a Hone grader mapping (see <see cref="GraderFactory"/>) or
/// <c>{file: PATH}</c> naming a YAML file (one grader or a list) or a <c>.json</c> file of OpenAI grader JSON.</item>
/// <item><c>primary_metric</c>: the name of the grader whose verdict is the headline accuracy (default: every grader
/// together, a sample passing when all pass).</item>
/// <item><c>reference</c>: a template giving each case's reference answer for reports (default: the case's trailing
/// assistant message, else the headline grader's reference).</item>
/// <item><c>repeats</c> (1–100, default 1), <c>concurrency</c> (1–64, default 4), <c>temperature</c> (0–2, default 0),
/// <c>max_tokens</c>, <c>seed</c>, <c>price</c> <c>{input_per_1m, output_per_1m}</c> in dollars.</item>
/// </list>
/// Suspicious but valid settings (a regex pattern holding <c>{{…}}</c>, which is not a template) are
/// <see cref="Warnings"/>, not errors.
/// </remarks>
public sealed record EvalSpec
{
    private static readonly string[] TopKeys = ["name", "golden_set", "prompt", "model", "models", "graders", "primary_metric", "reference", "repeats", "concurrency", "temperature", "max_tokens", "seed", "price"];
    private static readonly string[] PromptKeys = ["system", "system_file", "template", "template_file"];
    private static readonly string[] PriceKeys = ["input_per_1m", "output_per_1m"];

    /// <summary>The eval's name.</summary>
    public required string Name { get; init; }

    /// <summary>Absolute path of the spec file (empty when parsed from text without a file).</summary>
    public required string SourcePath { get; init; }

    /// <summary>Absolute path of the golden set.</summary>
    public required string GoldenSetPath { get; init; }

    /// <summary>The prompt.</summary>
    public required EvalPrompt Prompt { get; init; }

    /// <summary>The models named by the spec (may be empty: then the command line must give one).</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The graders, in order.</summary>
    public required IReadOnlyList<IGrader> Graders { get; init; }

    /// <summary>The grader whose verdict is the headline (<c>primary_metric</c>), or null for every grader together.</summary>
    public string? PrimaryMetric { get; init; }

    /// <summary>The reference-answer template for reports (<c>reference</c>), or null.</summary>
    public Template? Reference { get; init; }

    /// <summary>Settings that are valid but probably not what was meant, each with file and what to do.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Samples per case.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Model calls in flight at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Sampling temperature.</summary>
    public double Temperature { get; init; }

    /// <summary>Completion token limit, if any.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling seed, if any.</summary>
    public long? Seed { get; init; }

    /// <summary>The model's price, if given.</summary>
    public ModelPrice? Price { get; init; }

    /// <summary>SHA-256 of the spec text (a changed spec is a different eval: runs never resume across a change).</summary>
    public string ContentHash { get; init; } = "";

    /// <summary>Loads a spec file.</summary>
    /// <exception cref="EvalSpecException">The spec is invalid (file:line:column, what, how to fix).</exception>
    public static EvalSpec Load(string path, GraderEnvironment? env = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new EvalSpecException($"{full}: eval spec not found.");
        return Parse(File.ReadAllText(full), full, env);
    }

    /// <summary>Parses spec text; <paramref name="sourcePath"/> is the file (its folder anchors relative paths).</summary>
    public static EvalSpec Parse(string yaml, string sourcePath, GraderEnvironment? env = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourcePath);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
        var map = LoadMapping(yaml, sourcePath);
        CheckKeys(map, TopKeys, sourcePath, "");
        JsonElement json;
        try { json = YamlToJson.Convert(yaml); }
        catch (GraderConfigException e) { throw new EvalSpecException($"{sourcePath}: {e.Message}", e); }

        string At(string key) => map.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == key) is { } k
            ? $"{sourcePath}:{k.Start.Line}:{k.Start.Column}" : sourcePath;

        var goldenRel = Str(json, "golden_set") ?? throw new EvalSpecException($"{sourcePath}: 'golden_set' is required: the path of a JSONL golden set.");
        var models = new List<string>();
        if (Str(json, "model") is { } one) models.Add(one);
        if (json.TryGetProperty("models", out var ms))
        {
            if (ms.ValueKind != JsonValueKind.Array || ms.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String))
                throw new EvalSpecException($"{At("models")}: 'models' must be a list of model names (provider:model or local:DIR).");
            models.AddRange(ms.EnumerateArray().Select(m => m.GetString()!));
        }
        var price = ParsePrice(map, json, sourcePath, At("price"));
        var graders = ParseGraders(json, baseDir, sourcePath, At("graders"), env);
        var primary = Str(json, "primary_metric");
        if (primary is not null && !graders.Any(g => g.Name == primary))
            throw new EvalSpecException($"{At("primary_metric")}: primary_metric '{primary}' is not a grader of this spec; graders: {string.Join(", ", graders.Select(g => g.Name))}.");
        Template? reference = null;
        if (Str(json, "reference") is { } referenceText)
        {
            try { reference = Template.Parse(referenceText); }
            catch (TemplateException e) { throw new EvalSpecException($"{At("reference")}: reference: {e.Message}", e); }
        }
        return new EvalSpec
        {
            Name = Str(json, "name") ?? Path.GetFileNameWithoutExtension(sourcePath),
            SourcePath = Path.GetFullPath(sourcePath),
            GoldenSetPath = Path.GetFullPath(Path.Combine(baseDir, goldenRel)),
            Prompt = ParsePrompt(map, json, baseDir, sourcePath, At("prompt")),
            Models = models,
            Graders = graders,
            PrimaryMetric = primary,
            Reference = reference,
            Warnings = SpecWarnings.Of(graders, At("graders")),
            Repeats = Int(json, "repeats", 1, 1, 100, At("repeats")),
            Concurrency = Int(json, "concurrency", 4, 1, 64, At("concurrency")),
            Temperature = Num(json, "temperature", 0, 0, 2, At("temperature")),
            MaxTokens = json.TryGetProperty("max_tokens", out _) ? Int(json, "max_tokens", 0, 1, 1_000_000, At("max_tokens")) : null,
            Seed = json.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var seed) ? seed
                : json.TryGetProperty("seed", out _) ? throw new EvalSpecException($"{At("seed")}: 'seed' must be an integer.") : null,
            Price = price,
            ContentHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(yaml))),
        };
    }

    private static YamlMappingNode LoadMapping(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new EvalSpecException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new EvalSpecException($"{source}: an eval spec is one YAML mapping (golden_set, prompt, model, graders, ...).");
        return map;
    }

    private static void CheckKeys(YamlMappingNode map, string[] allowed, string source, string prefix)
    {
        foreach (var k in map.Children.Keys)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name, StringComparer.Ordinal))
                throw new EvalSpecException($"{source}:{k.Start.Line}:{k.Start.Column}: unknown key '{prefix}{name}'. Valid keys: {string.Join(", ", allowed)}.");
        }
    }

    private static EvalPrompt ParsePrompt(YamlMappingNode map, JsonElement json, string baseDir, string source, string at)
    {
        if (!json.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null) return new EvalPrompt(null, null);
        string promptSource = source, promptDir = baseDir;
        if (p.ValueKind == JsonValueKind.String)
        {
            var file = Path.GetFullPath(Path.Combine(baseDir, p.GetString()!));
            if (!File.Exists(file)) throw new EvalSpecException($"{at}: prompt file '{file}' not found.");
            var text = File.ReadAllText(file);
            var fileMap = LoadMapping(text, file);
            CheckKeys(fileMap, PromptKeys, file, "");
            p = YamlToJson.Convert(text);
            promptSource = file;
            promptDir = Path.GetDirectoryName(file)!;
        }
        else if (p.ValueKind == JsonValueKind.Object)
        {
            if (map.Children[new YamlScalarNode("prompt")] is YamlMappingNode pm) CheckKeys(pm, PromptKeys, source, "prompt.");
        }
        else throw new EvalSpecException($"{at}: 'prompt' must be a mapping {{system, template}} or the path of a YAML file holding one.");

        string? Text(string inline, string fileKey)
        {
            var v = Str(p, inline);
            var f = Str(p, fileKey);
            if (v is not null && f is not null) throw new EvalSpecException($"{promptSource}: give either prompt '{inline}' or '{fileKey}', not both.");
            if (f is null) return v;
            var full = Path.GetFullPath(Path.Combine(promptDir, f));
            return File.Exists(full) ? File.ReadAllText(full) : throw new EvalSpecException($"{promptSource}: {fileKey} '{full}' not found.");
        }
        var system = Text("system", "system_file");
        var template = Text("template", "template_file");
        Template? parsed = null;
        if (template is not null)
        {
            try { parsed = Template.Parse(template); }
            catch (TemplateException e) { throw new EvalSpecException($"{promptSource}: prompt template: {e.Message}", e); }
        }
        return new EvalPrompt(system, parsed);
    }

    private static List<IGrader> ParseGraders(JsonElement json, string baseDir, string source, string at, GraderEnvironment? env)
    {
        if (!json.TryGetProperty("graders", out var g) || g.ValueKind != JsonValueKind.Array || g.GetArrayLength() == 0)
            throw new EvalSpecException($"{at}: 'graders' is required: a non-empty list of graders (e.g. '- type: string_check').");
        var list = new List<IGrader>();
        int i = 0;
        foreach (var e in g.EnumerateArray())
        {
            try
            {
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("file", out var f) && f.ValueKind == JsonValueKind.String)
                {
                    if (e.EnumerateObject().Count() > 1) throw new EvalSpecException($"{at}: graders[{i}]: a '{{file: PATH}}' entry takes no other key.");
                    var file = Path.GetFullPath(Path.Combine(baseDir, f.GetString()!));
                    if (!File.Exists(file)) throw new EvalSpecException($"{at}: graders[{i}]: file '{file}' not found.");
                    var text = File.ReadAllText(file);
                    if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) list.Add(GraderFactory.FromOpenAiJson(text, env));
                    else list.AddRange(GraderFactory.ListFromYaml(text, env));
                }
                else list.Add(GraderFactory.FromJson(e, GraderDialect.Hone, env, $"graders[{i}]"));
            }
            catch (GraderConfigException ex) { throw new EvalSpecException($"{at}: {ex.Message}", ex); }
            i++;
        }
        var dup = list.GroupBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault(x => x.Count() > 1);
        if (dup is not null) throw new EvalSpecException($"{at}: two graders are named '{dup.Key}'; give each a unique 'name'.");
        return list;
    }

    private static ModelPrice? ParsePrice(YamlMappingNode map, JsonElement json, string source, string at)
    {
        if (!json.TryGetProperty("price", out var p)) return null;
        if (p.ValueKind != JsonValueKind.Object) throw new EvalSpecException($"{at}: 'price' must be {{input_per_1m, output_per_1m}} in dollars.");
        if (map.Children[new YamlScalarNode("price")] is YamlMappingNode pm) CheckKeys(pm, PriceKeys, source, "price.");
        decimal D(string k) => p.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDecimal() >= 0 ? v.GetDecimal()
            : throw new EvalSpecException($"{at}: price.{k} is required and must be a number ≥ 0 (dollars per million tokens).");
        return new ModelPrice(D("input_per_1m"), D("output_per_1m"));
    }

    private static string? Str(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
            : null;

    private static int Int(JsonElement o, string key, int dflt, int min, int max, string at)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return dflt;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max) return i;
        throw new EvalSpecException($"{at}: '{key}' must be an integer from {min} to {max}; got {v.GetRawText()}.");
    }

    private static double Num(JsonElement o, string key, double dflt, double min, double max, string at)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return dflt;
        if (v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max) return d;
        throw new EvalSpecException($"{at}: '{key}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; got {v.GetRawText()}.");
    }
}
