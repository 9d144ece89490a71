using System.Text.Json;
using System.Text.RegularExpressions;
using Hone.Evals.Graders.Json;

namespace Hone.Evals.Graders.Config;

/// <summary>
/// Builds Hone's own grader types (regex, json_valid, json_schema, json_field_match, classification,
/// numeric_tolerance, tool_call_match, command, evaluator): deterministic checks of the sample, which read
/// <c>{{sample.output_text}}</c> unless given an <c>input</c>.
/// </summary>
internal static class HoneGraderBuilder
{
    private const string OutputText = "{{sample.output_text}}";

    /// <summary>The grader of Hone type <paramref name="type"/> from <paramref name="c"/>.</summary>
    public static IGrader Build(string type, ConfigObject c, string name, GraderEnvironment env) => type switch
    {
        "regex" => Regex(c, name),
        "json_valid" => JsonValid(c, name),
        "json_schema" => JsonSchemaGrader(c, name),
        "json_field_match" => JsonFieldMatch(c, name),
        "classification" => Classification(c, name),
        "numeric_tolerance" => NumericTolerance(c, name),
        "tool_call_match" => ToolCallMatch(c, name),
        "command" => Command(c, name),
        "evaluator" => EvaluatorGraderBuilder.Build(c, name, env),
        _ => throw new GraderConfigException(c.At("type"), $"unknown grader type '{type}'; valid types: {string.Join(", ", GraderBuilder.HoneTypes)}."),
    };

    private static RegexGrader Regex(ConfigObject c, string name)
    {
        c.AllowOnly("regex", "type", "name", "input", "pattern", "ignore_case", "full_match");
        var pattern = c.RequireString("pattern");
        var options = RegexOptions.CultureInvariant | (c.OptBool("ignore_case") == true ? RegexOptions.IgnoreCase : RegexOptions.None);
        Regex re;
        try
        {
            re = new Regex(pattern, options, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new GraderConfigException(c.At("pattern"), $"invalid regular expression: {e.Message}");
        }
        return new RegexGrader(name, c.OptTemplate("input", OutputText), re, c.OptBool("full_match") ?? false);
    }

    private static JsonValidGrader JsonValid(ConfigObject c, string name)
    {
        c.AllowOnly("json_valid", "type", "name", "input");
        return new JsonValidGrader(name, c.OptTemplate("input", OutputText));
    }

    private static JsonSchemaGrader JsonSchemaGrader(ConfigObject c, string name)
    {
        c.AllowOnly("json_schema", "type", "name", "input", "schema");
        JsonSchema schema;
        try
        {
            schema = JsonSchema.Load(c.Require("schema"));
        }
        catch (ArgumentException e)
        {
            throw new GraderConfigException(c.At("schema"), e.Message);
        }
        return new JsonSchemaGrader(name, c.OptTemplate("input", OutputText), schema);
    }

    private static JsonFieldMatchGrader JsonFieldMatch(ConfigObject c, string name)
    {
        c.AllowOnly("json_field_match", "type", "name", "input", "reference", "fields", "pass_threshold");
        return new JsonFieldMatchGrader(name, c.OptTemplate("input", OutputText), c.RequireTemplate("reference"),
            c.StringList("fields", required: false), c.Threshold(1));
    }

    private static ClassificationGrader Classification(ConfigObject c, string name)
    {
        c.AllowOnly("classification", "type", "name", "input", "reference", "labels", "ignore_case");
        return new ClassificationGrader(name, c.OptTemplate("input", OutputText), c.RequireTemplate("reference"),
            c.StringList("labels", required: false), c.OptBool("ignore_case") ?? false);
    }

    private static NumericToleranceGrader NumericTolerance(ConfigObject c, string name)
    {
        c.AllowOnly("numeric_tolerance", "type", "name", "input", "reference", "absolute", "relative");
        var abs = c.OptNumber("absolute") ?? 0;
        var rel = c.OptNumber("relative") ?? 0;
        if (abs < 0) throw new GraderConfigException(c.At("absolute"), "must be zero or positive.");
        if (rel < 0) throw new GraderConfigException(c.At("relative"), "must be zero or positive.");
        return new NumericToleranceGrader(name, c.OptTemplate("input", OutputText), c.RequireTemplate("reference"), abs, rel);
    }

    private static ToolCallMatchGrader ToolCallMatch(ConfigObject c, string name)
    {
        c.AllowOnly("tool_call_match", "type", "name", "input", "reference", "ordered", "pass_threshold");
        return new ToolCallMatchGrader(name, c.OptTemplate("input", "{{sample.output_tools}}"), c.RequireTemplate("reference"),
            c.OptBool("ordered") ?? false, c.Threshold(1));
    }

    private static CommandGrader Command(ConfigObject c, string name)
    {
        c.AllowOnly("command", "type", "name", "command", "timeout_seconds", "pass_threshold");
        var argv = c.StringList("command", required: true);
        if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0]))
            throw new GraderConfigException(c.At("command"), "give the program and its arguments as a list, e.g. [\"python3\", \"grade.py\"]; no shell is used.");
        var seconds = c.OptNumber("timeout_seconds") ?? 30;
        if (seconds is <= 0 or > 3600) throw new GraderConfigException(c.At("timeout_seconds"), "must be more than 0 and at most 3600.");
        return new CommandGrader(name, argv, TimeSpan.FromSeconds(seconds), c.Threshold(0.5));
    }
}
