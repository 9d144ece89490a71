using System.Text;
using System.Text.Json;
using Hone.Evals.Graders.Model;
using Hone.Evals.Graders.Multi;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Config;

/// <summary>
/// Turns one grader definition into an <see cref="IGrader"/>: checks its type against the dialect, names it, and builds
/// the types OpenAI defines (string_check, text_similarity, score_model, label_model, multi); Hone's own types are
/// <see cref="HoneGraderBuilder"/>'s.
/// </summary>
internal sealed class GraderBuilder(GraderDialect dialect, GraderEnvironment env)
{
    public static readonly string[] OpenAiTypes = ["string_check", "text_similarity", "score_model", "label_model", "multi", "python"];

    public static readonly string[] HoneTypes =
    [
        "string_check", "text_similarity", "score_model", "label_model", "multi",
        "regex", "json_valid", "json_schema", "json_field_match", "classification", "numeric_tolerance",
        "tool_call_match", "command", "evaluator",
    ];

    private static readonly Dictionary<string, StringCheckOperation> Operations = new(StringComparer.Ordinal)
    {
        ["eq"] = StringCheckOperation.Eq,
        ["ne"] = StringCheckOperation.Ne,
        ["like"] = StringCheckOperation.Like,
        ["ilike"] = StringCheckOperation.Ilike,
    };

    private static readonly Dictionary<string, TextSimilarityMetric> Metrics = new(StringComparer.Ordinal)
    {
        ["fuzzy_match"] = TextSimilarityMetric.FuzzyMatch,
        ["bleu"] = TextSimilarityMetric.Bleu,
        ["gleu"] = TextSimilarityMetric.Gleu,
        ["meteor"] = TextSimilarityMetric.Meteor,
        ["rouge_1"] = TextSimilarityMetric.Rouge1,
        ["rouge_2"] = TextSimilarityMetric.Rouge2,
        ["rouge_3"] = TextSimilarityMetric.Rouge3,
        ["rouge_4"] = TextSimilarityMetric.Rouge4,
        ["rouge_5"] = TextSimilarityMetric.Rouge5,
        ["rouge_l"] = TextSimilarityMetric.RougeL,
    };

    public IGrader Build(JsonElement config, string path, string? defaultName)
    {
        var c = new ConfigObject(config, path);
        var type = c.RequireString("type");
        var valid = dialect == GraderDialect.OpenAi ? OpenAiTypes : HoneTypes;
        if (Array.IndexOf(valid, type) < 0)
        {
            var hint = dialect == GraderDialect.OpenAi && Array.IndexOf(HoneTypes, type) >= 0 ? " (that type exists only in Hone's YAML shape)" : "";
            throw new GraderConfigException(c.At("type"), $"unknown grader type '{type}'{hint}; valid types: {string.Join(", ", valid.Where(t => t != "python"))}.");
        }
        string name = dialect == GraderDialect.OpenAi && defaultName is null
            ? c.RequireString("name")
            : c.OptString("name") ?? defaultName ?? type;
        if (string.IsNullOrWhiteSpace(name)) throw new GraderConfigException(c.At("name"), "a grader name must not be empty.");
        return type switch
        {
            "string_check" => StringCheck(c, name),
            "text_similarity" => TextSimilarity(c, name),
            "score_model" => ScoreModel(c, name),
            "label_model" => LabelModel(c, name),
            "multi" => MultiGrader(c, name),
            "python" => throw new GraderConfigException(c.At("type"), "python graders cannot run here (Hone runs no Python); rewrite it as a Hone YAML 'command' grader that reads the item and sample as JSON on stdin and prints a score."),
            _ => HoneGraderBuilder.Build(type, c, name, env),
        };
    }

    private StringCheckGrader StringCheck(ConfigObject c, string name)
    {
        c.AllowOnly("string_check", "type", "name", "input", "reference", "operation");
        return new StringCheckGrader(name, c.RequireTemplate("input"), c.RequireTemplate("reference"), c.RequireEnum("operation", Operations));
    }

    private TextSimilarityGrader TextSimilarity(ConfigObject c, string name)
    {
        c.AllowOnly("text_similarity", "type", "name", "input", "reference", "evaluation_metric", "pass_threshold");
        if (c.OptString("evaluation_metric") == "cosine")
            throw new GraderConfigException(c.At("evaluation_metric"), $"'cosine' needs an embedding model and is not supported; valid metrics: {string.Join(", ", Metrics.Keys)}.");
        return new TextSimilarityGrader(name, c.RequireTemplate("input"), c.RequireTemplate("reference"), c.RequireEnum("evaluation_metric", Metrics), c.Threshold(0.5));
    }

    private ScoreModelGrader ScoreModel(ConfigObject c, string name)
    {
        c.AllowOnly("score_model", "type", "name", "model", "input", "range", "pass_threshold", "sampling_params");
        var model = c.RequireString("model");
        var judge = env.Judge(model, c.At("model"));
        var messages = Messages(c);
        var (lo, hi, threshold) = c.ScaleAndThreshold();
        var (seed, maxTokens) = Sampling(c);
        return new ScoreModelGrader(name, judge, model, messages, lo, hi, threshold, seed, maxTokens);
    }

    private LabelModelGrader LabelModel(ConfigObject c, string name)
    {
        c.AllowOnly("label_model", "type", "name", "model", "input", "labels", "passing_labels");
        var model = c.RequireString("model");
        var judge = env.Judge(model, c.At("model"));
        var labels = c.StringList("labels", required: true);
        if (labels.Count == 0) throw new GraderConfigException(c.At("labels"), "give at least one label.");
        var passing = c.StringList("passing_labels", required: true);
        foreach (var p in passing)
            if (!labels.Contains(p, StringComparer.Ordinal))
                throw new GraderConfigException(c.At("passing_labels"), $"'{p}' is not one of the labels: {string.Join(", ", labels)}.");
        return new LabelModelGrader(name, judge, model, Messages(c), labels, passing);
    }

    private MultiGrader MultiGrader(ConfigObject c, string name)
    {
        c.AllowOnly("multi", "type", "name", "graders", "calculate_output", "pass_threshold");
        var graders = c.Require("graders");
        var subs = new Dictionary<string, IGrader>(StringComparer.Ordinal);
        if (graders.ValueKind == JsonValueKind.Object && graders.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
        {
            var g = Build(graders, c.At("graders"), null);
            subs[g.Name] = g;
        }
        else if (graders.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in graders.EnumerateObject())
            {
                if (!IsIdentifier(p.Name))
                    throw new GraderConfigException($"{c.At("graders")}.{p.Name}", "a sub-grader key must be an identifier (letters, digits, '_'; not starting with a digit) so calculate_output can name it.");
                subs[p.Name] = Build(p.Value, $"{c.At("graders")}.{p.Name}", p.Name);
            }
        }
        else throw new GraderConfigException(c.At("graders"), $"expected a mapping of name → grader, found {ConfigObject.Describe(graders)}.");
        if (subs.Count == 0) throw new GraderConfigException(c.At("graders"), "give at least one sub-grader.");
        Formula formula;
        try
        {
            formula = Formula.Parse(c.RequireString("calculate_output"));
        }
        catch (FormatException e)
        {
            throw new GraderConfigException(c.At("calculate_output"), e.Message);
        }
        foreach (var v in formula.Variables)
            if (!subs.ContainsKey(v))
                throw new GraderConfigException(c.At("calculate_output"), $"'{v}' is not a sub-grader; sub-graders: {string.Join(", ", subs.Keys)}.");
        return new MultiGrader(name, subs, formula, c.Threshold(0.5));
    }

    private static (int? Seed, int? MaxTokens) Sampling(ConfigObject c)
    {
        if (c.Get("sampling_params") is not { } sp) return (null, null);
        var s = new ConfigObject(sp, c.At("sampling_params"));
        s.AllowOnly("sampling_params", "seed", "max_completions_tokens", "temperature", "top_p", "reasoning_effort");
        int? Int(string key)
        {
            var v = s.OptNumber(key);
            if (v is null) return null;
            if (v != Math.Floor(v.Value) || v < 0 || v > int.MaxValue) throw new GraderConfigException(s.At(key), "expected a non-negative integer.");
            return (int)v.Value;
        }
        return (Int("seed"), Int("max_completions_tokens"));
    }

    private static List<JudgeMessage> Messages(ConfigObject c)
    {
        var input = c.Require("input");
        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0)
            throw new GraderConfigException(c.At("input"), "expected a non-empty list of messages {role, content}.");
        var list = new List<JudgeMessage>();
        int i = 0;
        foreach (var e in input.EnumerateArray())
        {
            var m = new ConfigObject(e, $"{c.At("input")}[{i++}]");
            m.AllowOnly("message", "role", "content", "type");
            if (m.OptString("type") is { } mt && mt != "message") throw new GraderConfigException(m.At("type"), "must be 'message'.");
            var role = m.RequireString("role");
            if (Array.IndexOf(JudgePrompt.Roles, role) < 0)
                throw new GraderConfigException(m.At("role"), $"unknown role '{role}'; valid roles: {string.Join(", ", JudgePrompt.Roles)}.");
            list.Add(new JudgeMessage(role, m.ParseTemplate("content", ContentText(m.Require("content"), m.At("content")))));
        }
        return list;
    }

    /// <summary>Message content: a string, a <c>{type: input_text|output_text, text}</c> part, or a list of them.</summary>
    private static string ContentText(JsonElement content, string path)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var sb = new StringBuilder();
                int i = 0;
                foreach (var part in content.EnumerateArray()) sb.Append(ContentText(part, $"{path}[{i++}]"));
                return sb.ToString();
            case JsonValueKind.Object:
                var o = new ConfigObject(content, path);
                var t = o.RequireString("type");
                if (t is not ("input_text" or "output_text"))
                    throw new GraderConfigException(o.At("type"), $"content part type '{t}' is not supported (text only); valid: input_text, output_text.");
                o.AllowOnly("content part", "type", "text");
                return o.RequireString("text");
            default:
                throw new GraderConfigException(path, $"expected text content, found {ConfigObject.Describe(content)}.");
        }
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
}
