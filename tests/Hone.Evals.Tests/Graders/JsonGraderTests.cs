using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Evals.Graders.Json;

namespace Hone.Evals.Tests.Graders;

public class JsonGraderTests
{
    [Fact]
    public void Json_valid_passes_json_and_flags_parse_errors()
    {
        var g = G.Yaml("type: json_valid");
        G.AssertPass(G.Grade(g, G.Ctx("{}", """{"a": [1, 2]}""")));
        var bad = G.Grade(g, G.Ctx("{}", """{"a": [1, 2}"""));
        G.AssertError(bad, GradeErrorKind.ParseError);
        Assert.Contains("line 1", bad.Error, StringComparison.Ordinal);
        G.AssertError(G.Grade(g, G.Ctx("{}", "")), GradeErrorKind.ParseError);
    }

    private const string SchemaYaml = """
        type: json_schema
        name: shape
        schema:
          type: object
          required: [name, age, tags]
          additionalProperties: false
          properties:
            name: {type: string, minLength: 2, maxLength: 5, pattern: "^[A-Z]"}
            age: {type: integer, minimum: 0, maximum: 150}
            tags: {type: array, items: {enum: [a, b, c]}, minItems: 1, maxItems: 2}
            kind: {const: person}
            id: {anyOf: [{type: string}, {type: integer}]}
            score: {oneOf: [{type: number, maximum: 1}, {type: number, minimum: 0.5}]}
            both: {allOf: [{type: number}, {exclusiveMinimum: 0}]}
            nope: {not: {type: "null"}}
        """;

    [Fact]
    public void Json_schema_accepts_a_conforming_instance()
    {
        var g = G.Yaml(SchemaYaml);
        G.AssertPass(G.Grade(g, G.Ctx("{}", """{"name": "Ann", "age": 30, "tags": ["a"], "kind": "person", "id": 7, "score": 2, "both": 1, "nope": 0}""")));
    }

    [Theory]
    [InlineData("""{"name": "Ann", "age": 30}""", "missing required property 'tags'")]
    [InlineData("""{"name": "Ann", "age": 30, "tags": ["a"], "x": 1}""", "$.x: additional property not allowed")]
    [InlineData("""{"name": "A", "age": 30, "tags": ["a"]}""", "minLength")]
    [InlineData("""{"name": "Annabel", "age": 30, "tags": ["a"]}""", "maxLength")]
    [InlineData("""{"name": "ann", "age": 30, "tags": ["a"]}""", "pattern")]
    [InlineData("""{"name": "Ann", "age": 30.5, "tags": ["a"]}""", "expected type \"integer\"")]
    [InlineData("""{"name": "Ann", "age": -1, "tags": ["a"]}""", "below minimum")]
    [InlineData("""{"name": "Ann", "age": 151, "tags": ["a"]}""", "above maximum")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": []}""", "minItems")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a", "b", "c"]}""", "maxItems")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["d"]}""", "$.tags[0]: must be one of")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a"], "kind": "robot"}""", "must equal")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a"], "id": true}""", "anyOf")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a"], "score": 0.7}""", "matched 2")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a"], "both": 0}""", "exclusiveMinimum")]
    [InlineData("""{"name": "Ann", "age": 3, "tags": ["a"], "nope": null}""", "'not'")]
    [InlineData("""[1]""", "expected type \"object\"")]
    public void Json_schema_rejects_each_violation(string output, string expectedMessage)
    {
        var r = G.Grade(G.Yaml(SchemaYaml), G.Ctx("{}", output));
        G.AssertFail(r);
        Assert.False(r.IsError);
        Assert.Contains(expectedMessage, r.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_schema_output_that_is_not_json_is_a_parse_error()
    {
        G.AssertError(G.Grade(G.Yaml(SchemaYaml), G.Ctx("{}", "name: Ann")), GradeErrorKind.ParseError);
    }

    [Theory]
    [InlineData("{$ref: '#/defs/x'}", "unsupported keyword '$ref'")]
    [InlineData("{type: strin}", "unknown type")]
    [InlineData("{pattern: '('}", "invalid regular expression")]
    [InlineData("{minItems: -1}", "non-negative integer")]
    public void Json_schema_rejects_unsupported_schemas_at_load(string schema, string message)
    {
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml($"type: json_schema\nschema: {schema}"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal("$.schema", e.ConfigPath);
    }

    [Fact]
    public void Json_schema_validates_real_tool_arguments_from_the_drone_set()
    {
        // Every call in the cookbook's drone set must satisfy its own function's parameter schema,
        // and breaking a required argument must be caught.
        int checkedCalls = 0;
        foreach (var line in File.ReadLines(Hone.Testing.TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")))
        {
            var row = JsonDocument.Parse(line).RootElement;
            var call = row.GetProperty("messages")[2].GetProperty("tool_calls")[0].GetProperty("function");
            var tool = row.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("function").GetProperty("name").GetString() == call.GetProperty("name").GetString());
            var schema = JsonSchema.Load(tool.GetProperty("function").GetProperty("parameters"));
            var args = JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement;
            Assert.Empty(schema.Validate(args));
            var parameters = tool.GetProperty("function").GetProperty("parameters");
            if (parameters.TryGetProperty("required", out var req) && req.GetArrayLength() > 0)
                Assert.NotEmpty(schema.Validate(JsonDocument.Parse("""{"unexpected_only": 1}""").RootElement));
            checkedCalls++;
        }
        Assert.True(checkedCalls > 50);
    }

    private const string FieldYaml = """
        type: json_field_match
        name: fields
        reference: "{{item.expected}}"
        fields: [city, country.code, "temps[1]"]
        pass_threshold: 1
        """;

    [Fact]
    public void Json_field_match_scores_each_field()
    {
        var g = G.Yaml(FieldYaml);
        const string item = """{"expected": {"city": "Paris", "country": {"code": "FR"}, "temps": [10, 12.0]}}""";
        var pass = G.Grade(g, G.Ctx(item, """{"temps": [9, 12], "country": {"code": "FR", "name": "France"}, "city": "Paris"}"""));
        G.AssertPass(pass);
        Assert.Equal(1.0, pass.FieldScores["temps[1]"]);
        var partial = G.Grade(g, G.Ctx(item, """{"city": "Lyon", "country": {"code": "FR"}}"""));
        G.AssertFail(partial);
        Assert.Equal(1.0 / 3, partial.Score, 12); // city 0, country.code 1, temps[1] missing 0
        Assert.Equal(0, partial.FieldScores["city"]);
        Assert.Equal(1, partial.FieldScores["country.code"]);
        Assert.Equal(0, partial.FieldScores["temps[1]"]);
    }

    [Fact]
    public void Json_field_match_edge_cases()
    {
        var g = G.Yaml(FieldYaml);
        const string item = """{"expected": {"city": "Paris", "country": {"code": "FR"}, "temps": [10, 12]}}""";
        G.AssertError(G.Grade(g, G.Ctx(item, "city: Paris")), GradeErrorKind.ParseError);
        G.AssertError(G.Grade(g, G.Ctx("""{"expected": {"city": "Paris"}}""", "{}")), GradeErrorKind.MissingField);
        G.AssertError(G.Grade(g, G.Ctx("{}", "{}")), GradeErrorKind.MissingField);
        // no fields: every top-level reference field; a reference stored as a JSON string is parsed
        var all = G.Yaml("type: json_field_match\nreference: \"{{item.expected}}\"");
        var r = G.Grade(all, G.Ctx("""{"expected": "{\"a\": 1, \"b\": [1, {\"c\": 2}]}"}""", """{"b": [1.0, {"c": 2}], "a": 2}"""));
        Assert.Equal(0.5, r.Score, 12);
        Assert.Equal(["a", "b"], r.FieldScores.Keys.Order());
    }

    [Fact]
    public void Json_equality_ignores_key_order_but_not_array_order()
    {
        static JsonElement J(string s) => JsonDocument.Parse(s).RootElement;
        Assert.True(JsonEquality.Equal(J("""{"a": 1, "b": {"x": [1, 2]}}"""), J("""{"b": {"x": [1.0, 2e0]}, "a": 1.00}""")));
        Assert.False(JsonEquality.Equal(J("[1, 2]"), J("[2, 1]")));
        Assert.False(JsonEquality.Equal(J("""{"a": 1}"""), J("""{"a": 1, "b": null}""")));
        Assert.False(JsonEquality.Equal(J("true"), J("false")));
        Assert.False(JsonEquality.Equal(J("\"1\""), J("1")));
    }
}
