using System.Text.Json;

namespace Hone.Evals.Graders.Config;

/// <summary>
/// Builds graders from configuration: Hone's YAML shape or OpenAI's grader JSON. Unknown keys, types and values are
/// <see cref="GraderConfigException"/>s naming the key and listing the valid choices.
/// </summary>
/// <remarks>
/// <para><b>Hone YAML shape.</b> One grader is a mapping with a <c>type</c> and that type's keys; <c>name</c> is
/// optional (defaults to the type, or to the key inside a multi grader). Templates use <c>{{ item.path }}</c> and
/// <c>{{ sample.output_text | output_json.path | output_tools }}</c>. <c>pass_threshold</c> is always in [0, 1] except for
/// score_model, where it is on the judge's <c>range</c> scale. Types and their keys (besides <c>type</c>, <c>name</c>):</para>
/// <list type="bullet">
/// <item><c>string_check</c>: <c>input</c>, <c>reference</c>, <c>operation</c> (eq | ne | like | ilike). Score 0/1.</item>
/// <item><c>text_similarity</c>: <c>input</c>, <c>reference</c>, <c>evaluation_metric</c> (fuzzy_match | bleu | gleu |
/// meteor | rouge_1 … rouge_5 | rouge_l), <c>pass_threshold</c> (default 0.5). Score = the metric.</item>
/// <item><c>score_model</c>: <c>model</c>, <c>input</c> (list of <c>{role, content}</c>), <c>range</c> ([min, max],
/// default [0, 1]), <c>pass_threshold</c> (judge scale, default the range midpoint), <c>sampling_params</c>
/// (<c>seed</c>, <c>max_completions_tokens</c>; <c>temperature</c>, <c>top_p</c>, <c>reasoning_effort</c> are accepted
/// for compatibility and ignored: judges always run at temperature 0). Score = (raw − min)/(max − min).</item>
/// <item><c>label_model</c>: <c>model</c>, <c>input</c>, <c>labels</c>, <c>passing_labels</c>. Score 0/1.</item>
/// <item><c>multi</c>: <c>graders</c> (mapping name → grader; names must be identifiers), <c>calculate_output</c>
/// (see <see cref="Multi.Formula"/>), <c>pass_threshold</c> (default 0.5). Score = formula clamped to [0, 1].</item>
/// <item><c>regex</c>: <c>pattern</c>, <c>input</c> (default <c>{{sample.output_text}}</c>), <c>ignore_case</c>,
/// <c>full_match</c>. Score 0/1.</item>
/// <item><c>json_valid</c>: <c>input</c>. Score 1, or a parse error.</item>
/// <item><c>json_schema</c>: <c>schema</c> (object, see <see cref="Json.JsonSchema"/>), <c>input</c>. Score 0/1.</item>
/// <item><c>json_field_match</c>: <c>reference</c> (e.g. <c>{{item.expected}}</c>), <c>input</c>, <c>fields</c>
/// (list of paths; default all reference fields), <c>pass_threshold</c> (default 1). Score = mean of per-field 0/1.</item>
/// <item><c>classification</c>: <c>reference</c>, <c>input</c>, <c>labels</c>, <c>ignore_case</c>. Score 0/1.</item>
/// <item><c>numeric_tolerance</c>: <c>reference</c>, <c>input</c>, <c>absolute</c>, <c>relative</c> (≥ 0, default 0).
/// Score 0/1.</item>
/// <item><c>tool_call_match</c>: <c>reference</c> (expected calls), <c>input</c> (default
/// <c>{{sample.output_tools}}</c>), <c>ordered</c> (default false), <c>pass_threshold</c> (default 1).</item>
/// <item><c>command</c>: <c>command</c> (argv list), <c>timeout_seconds</c> (default 30, at most 3600),
/// <c>pass_threshold</c> (default 0.5). Score = the program's number in [0, 1].</item>
/// <item><c>evaluator</c>: <c>evaluator</c> (a Microsoft.Extensions.AI.Evaluation <c>IEvaluator</c> by assembly-qualified
/// type name, with a public parameterless constructor), <c>metric</c> (default its first), <c>range</c> (the metric's
/// scale, default [0, 1]), <c>pass_threshold</c> (on that scale, default the midpoint), <c>model</c> (a judge for
/// evaluators that call a model). See <see cref="Evaluation.EvaluatorGrader"/>.</item>
/// </list>
/// <para><b>OpenAI JSON.</b> The types string_check, text_similarity, score_model, label_model and multi with OpenAI's
/// keys (<c>name</c> required); <c>python</c> is recognised and rejected (no Python here: use a Hone <c>command</c>
/// grader); the text_similarity metric <c>cosine</c> is rejected (it needs embeddings).</para>
/// <para>Every score is in [0, 1], so any configured grader can serve as a reinforcement-fine-tuning reward.</para>
/// </remarks>
public static class GraderFactory
{
    /// <summary>Builds one grader from a Hone YAML mapping.</summary>
    public static IGrader FromYaml(string yaml, GraderEnvironment? env = null) =>
        FromJson(YamlToJson.Convert(yaml), GraderDialect.Hone, env);

    /// <summary>Builds the graders of a Hone YAML list (or a single mapping, giving a list of one).</summary>
    public static IReadOnlyList<IGrader> ListFromYaml(string yaml, GraderEnvironment? env = null)
    {
        var root = YamlToJson.Convert(yaml);
        if (root.ValueKind != JsonValueKind.Array) return [FromJson(root, GraderDialect.Hone, env)];
        var list = new List<IGrader>();
        int i = 0;
        foreach (var e in root.EnumerateArray()) list.Add(FromJson(e, GraderDialect.Hone, env, $"$[{i++}]"));
        var dup = list.GroupBy(g => g.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new GraderConfigException("$", $"two graders are named '{dup.Key}'; give each a unique 'name'.");
        return list;
    }

    /// <summary>Builds one grader from OpenAI grader JSON (the object sent as <c>grader</c> or a testing criterion).</summary>
    public static IGrader FromOpenAiJson(string json, GraderEnvironment? env = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new GraderConfigException("$", $"invalid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {e.Message}");
        }
        return FromJson(root, GraderDialect.OpenAi, env);
    }

    /// <summary>Builds one grader from an already parsed definition (e.g. a node of an eval spec).</summary>
    /// <param name="config">The grader object.</param>
    /// <param name="dialect">Which vocabulary it uses.</param>
    /// <param name="env">The host services (judge clients); <see cref="GraderEnvironment.None"/> when null.</param>
    /// <param name="path">Where the object sits, for error messages.</param>
    public static IGrader FromJson(JsonElement config, GraderDialect dialect, GraderEnvironment? env = null, string path = "$") =>
        new GraderBuilder(dialect, env ?? GraderEnvironment.None).Build(config, path, defaultName: null);

    /// <summary>The types accepted in a dialect.</summary>
    public static IReadOnlyList<string> Types(GraderDialect dialect) =>
        dialect == GraderDialect.OpenAi ? GraderBuilder.OpenAiTypes : GraderBuilder.HoneTypes;
}
