using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hone.Prompting.Files;

/// <summary>
/// Reads prompt and chain files. Keys of a prompt: <c>name</c>, <c>description</c>, <c>system</c>, <c>user</c>,
/// <c>few_shot</c> (inline <c>{user, assistant}</c> or <c>{messages}</c>, or <c>{file, ids}</c> drawing chat examples
/// from a JSONL file by id), <c>tools</c> (<c>{name, description, parameters}</c> plus <c>command</c> or <c>http</c> to
/// run it), <c>max_tool_rounds</c>, <c>response_format</c> <c>{name, schema}</c>, <c>sampling</c>
/// <c>{temperature, top_p, max_tokens, seed, stop}</c>. A chain has <c>steps</c>: each <c>{name, prompt (a file or an
/// inline prompt), inputs, gate (a grader)}</c>. An unknown key, a bad value or a template syntax error is a
/// <see cref="PromptFileException"/> with file and line.
/// </summary>
public static class PromptFileReader
{
    /// <summary>The largest prompt file read, in characters.</summary>
    public const int MaxChars = 1_000_000;

    private static readonly string[] PromptKeys = ["name", "description", "system", "user", "few_shot", "tools", "max_tool_rounds", "response_format", "sampling"];
    private static readonly string[] ChainKeys = ["name", "description", "steps"];

    /// <summary>Loads a prompt or chain file.</summary>
    public static PromptFile Load(string path, GraderEnvironment? env = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new PromptFileException(full, 0, "prompt file not found.");
        if (new FileInfo(full).Length > MaxChars * 4L) throw new PromptFileException(full, 0, $"the file is larger than {MaxChars} characters; a prompt file holds templates, not data.");
        return Parse(File.ReadAllText(full), full, env);
    }

    /// <summary>Parses prompt-file text; <paramref name="sourcePath"/> names it in errors and anchors relative paths.</summary>
    public static PromptFile Parse(string yaml, string sourcePath, GraderEnvironment? env = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxChars) throw new PromptFileException(sourcePath, 0, $"the file is {yaml.Length} characters; the limit is {MaxChars}.");
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new PromptFileException(sourcePath, (int)e.Start.Line, $"invalid YAML: {e.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new PromptFileException(sourcePath, 1, "a prompt file is one YAML mapping (system, user, few_shot, tools, sampling, ...) or a chain (steps).");
        JsonElement json;
        try { json = YamlToJson.Convert(yaml); }
        catch (GraderConfigException e) { throw new PromptFileException(sourcePath, 0, e.Message, e); }
        var hash = new StringBuilder(yaml);
        var root = new YamlNodes(sourcePath, map, json, "");
        var file = root.Has("steps") ? ParseChain(root, hash, env) : ParsePrompt(root, hash, "");
        return file with { ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hash.ToString()))) };
    }

    private static PromptFile ParsePrompt(YamlNodes y, StringBuilder hash, string section)
    {
        y.CheckKeys(PromptKeys);
        PromptTemplate? Template(string key) => y.Str(key) is { } text ? PromptTemplate.Parse(text, y.File, y.TextLine(key), section + key) : null;
        var system = Template("system");
        var user = Template("user");
        var sampling = y.Has("sampling") ? ParseSampling(y.Map("sampling")) : new SamplingSettings();
        ResponseFormatSpec? format = null;
        if (y.Has("response_format"))
        {
            var f = y.Map("response_format");
            f.CheckKeys("name", "schema");
            if (!f.Has("schema") || f.Json.GetProperty("schema").ValueKind != JsonValueKind.Object)
                throw f.Error("schema", "is required: a JSON schema object ({type: object, properties: ...}).");
            format = new ResponseFormatSpec(f.Str("name") ?? "answer", f.Json.GetProperty("schema").Clone());
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(y.File))!;
        var fewShot = FewShotReader.Read(y.Maps("few_shot"), dir, hash);
        var tools = y.Maps("tools").Select(t => ToolReader.Read(t, dir)).ToList();
        var dup = tools.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw y.Error("tools", $"two tools are named '{dup.Key}'; tool names must be unique.");
        return new PromptFile
        {
            Name = y.Str("name") ?? Path.GetFileNameWithoutExtension(y.File),
            SourcePath = Path.GetFullPath(y.File),
            ContentHash = "",
            System = system,
            User = user,
            FewShot = fewShot,
            Tools = tools,
            MaxToolRounds = (int)(y.Int("max_tool_rounds", 1, 32) ?? 4),
            ResponseFormat = format,
            Sampling = sampling,
            KeyLines = y.Node.Children.Keys.OfType<YamlScalarNode>().ToDictionary(k => k.Value!, k => (int)k.Start.Line, StringComparer.Ordinal),
        };
    }

    private static SamplingSettings ParseSampling(YamlNodes s)
    {
        s.CheckKeys("temperature", "top_p", "max_tokens", "seed", "stop");
        return new SamplingSettings
        {
            Temperature = s.Num("temperature", 0, 2),
            TopP = s.Num("top_p", 1e-9, 1),
            MaxTokens = (int?)s.Int("max_tokens", 1, 1_000_000),
            Seed = s.Int("seed", long.MinValue, long.MaxValue),
            Stop = s.Strings("stop"),
        };
    }

    private static PromptFile ParseChain(YamlNodes y, StringBuilder hash, GraderEnvironment? env)
    {
        if (y.Node.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => PromptKeys.Contains(k.Value) && !ChainKeys.Contains(k.Value)) is { } stray)
            throw new PromptFileException(y.File, (int)stray.Start.Line, $"'{stray.Value}' belongs in a step's prompt: a chain file has only {string.Join(", ", ChainKeys)}.");
        y.CheckKeys(ChainKeys);
        var entries = y.Maps("steps");
        if (entries.Count is 0 or > 32) throw y.Error("steps", "a chain has 1 to 32 steps.");
        var dir = Path.GetDirectoryName(Path.GetFullPath(y.File))!;
        var steps = new List<ChainStep>();
        for (int i = 0; i < entries.Count; i++)
        {
            var s = entries[i];
            s.CheckKeys("name", "prompt", "inputs", "gate");
            var name = s.Str("name") ?? throw s.Error("name", "is required: later steps read the output as {{ NAME }}.");
            if (!IsIdentifier(name)) throw s.Error("name", $"'{name}' must be a name templates can read: letters, digits and '_', not starting with a digit.");
            if (steps.Any(x => x.Name == name)) throw s.Error("name", $"two steps are named '{name}'.");
            PromptFile prompt;
            if (s.Child("prompt") is YamlMappingNode) prompt = ParsePrompt(s.Map("prompt"), hash, $"steps[{i}].prompt.") with { Name = name };
            else if (s.Str("prompt") is { } rel)
            {
                var path = Path.GetFullPath(Path.Combine(dir, rel));
                if (!File.Exists(path)) throw s.Error("prompt", $"file '{path}' not found.");
                prompt = Load(path, env);
                if (prompt.IsChain) throw s.Error("prompt", $"'{rel}' is a chain; a step's prompt must be a single prompt.");
                hash.Append('\0').Append(prompt.ContentHash);
            }
            else throw s.Error("prompt", "is required: the path of a prompt file, or an inline prompt {system, user, ...}.");
            var inputs = s.Strings("inputs");
            if (inputs.Contains(name)) throw s.Error("inputs", $"step '{name}' cannot read its own output.");
            if (inputs.FirstOrDefault(x => entries.Skip(i + 1).Any(e => e.Str("name") == x)) is { } later)
                throw s.Error("inputs", $"'{later}' is a later step; a step reads only the case's fields and earlier steps' outputs.");
            IGrader? gate = null;
            if (s.Has("gate"))
            {
                try { gate = GraderFactory.FromJson(s.Json.GetProperty("gate"), GraderDialect.Hone, env, $"steps[{i}].gate"); }
                catch (GraderConfigException e) { throw s.Error("gate", e.Message); }
            }
            steps.Add(new ChainStep(name, prompt, inputs, gate, s.Line));
        }
        return new PromptFile
        {
            Name = y.Str("name") ?? Path.GetFileNameWithoutExtension(y.File),
            SourcePath = Path.GetFullPath(y.File),
            ContentHash = "",
            Steps = steps,
            KeyLines = y.Node.Children.Keys.OfType<YamlScalarNode>().ToDictionary(k => k.Value!, k => (int)k.Start.Line, StringComparer.Ordinal),
        };
    }

    internal static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');
}
