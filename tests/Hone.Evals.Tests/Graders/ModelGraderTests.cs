using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Graders;

public class ModelGraderTests
{
    private const string ScoreYaml = """
        type: score_model
        name: judge
        model: judge-1
        range: [1, 5]
        pass_threshold: 4
        input:
          - role: system
            content: "Grade the answer from 1 to 5 against the reference."
          - role: user
            content: "Reference: {{item.reference}}\nAnswer: {{sample.output_text}}"
        """;

    private static (IGrader Grader, ScriptedChatClient Client, List<string> Models) Build(string yaml)
    {
        var client = new ScriptedChatClient();
        var models = new List<string>();
        var env = new GraderEnvironment { JudgeClient = m => { models.Add(m); return client; } };
        return (G.Yaml(yaml, env), client, models);
    }

    [Fact]
    public void Score_model_normalises_the_judge_score_and_sends_the_rubric_at_temperature_zero()
    {
        var (g, client, models) = Build(ScoreYaml);
        client.Reply("""{"result": 4, "reason": "mostly right"}""").Reply("""{"result": 2, "reason": "wrong city"}""");
        var ctx = G.Ctx("""{"reference": "Paris"}""", "It is Paris");
        var pass = G.Grade(g, ctx);
        G.AssertPass(pass);
        Assert.Equal(0.75, pass.Score, 12); // (4 - 1) / (5 - 1)
        Assert.Equal(4, pass.RawScore);
        Assert.Equal("mostly right", pass.Detail);
        var fail = G.Grade(g, ctx);
        G.AssertFail(fail);
        Assert.Equal(0.25, fail.Score, 12);
        Assert.False(fail.IsError);

        Assert.Equal(["judge-1"], models);
        var (messages, options) = client.Calls[0];
        Assert.Equal(0f, options!.Temperature);
        Assert.Equal("judge-1", options.ModelId);
        Assert.IsType<ChatResponseFormatJson>(options.ResponseFormat);
        Assert.Equal(ChatRole.System, messages[0].Role);
        Assert.StartsWith("Grade the answer from 1 to 5", messages[0].Text, StringComparison.Ordinal);
        Assert.Contains("\"result\"", messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("Reference: Paris\nAnswer: It is Paris", messages[1].Text);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("The score is 4.")]
    [InlineData("""{"score": 4}""")]
    [InlineData("""{"result": "4"}""")]
    [InlineData("""{"result": 7}""")]
    [InlineData("""{"result": 4""")]
    [InlineData("")]
    public void Score_model_parse_failures_are_counted_as_such_never_passes(string reply)
    {
        var (g, client, _) = Build(ScoreYaml);
        client.Reply(reply);
        var r = G.Grade(g, G.Ctx("""{"reference": "Paris"}""", "Paris"));
        G.AssertError(r, GradeErrorKind.ParseError);
    }

    [Fact]
    public void Score_model_accepts_a_fenced_json_reply_and_reports_model_errors()
    {
        var (g, client, _) = Build(ScoreYaml);
        client.Reply("```json\n{\"result\": 5}\n```").Throw(new HttpRequestException("503 Service Unavailable"));
        var ctx = G.Ctx("""{"reference": "Paris"}""", "Paris");
        G.AssertPass(G.Grade(g, ctx));
        var err = G.Grade(g, ctx);
        G.AssertError(err, GradeErrorKind.ModelError);
        Assert.Contains("503", err.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_model_missing_item_field_does_not_call_the_judge()
    {
        var (g, client, _) = Build(ScoreYaml);
        G.AssertError(G.Grade(g, G.Ctx("{}", "Paris")), GradeErrorKind.MissingField);
        Assert.Empty(client.Calls);
    }

    private const string LabelYaml = """
        type: label_model
        name: tone
        model: judge-1
        labels: [polite, rude, neutral]
        passing_labels: [polite, neutral]
        input:
          - role: user
            content: "Classify the tone of: {{sample.output_text}}"
        """;

    [Fact]
    public void Label_model_passes_on_passing_labels_only()
    {
        var (g, client, _) = Build(LabelYaml);
        client.Reply("""{"result": "polite", "reason": "says please"}""").Reply("""{"result": "rude"}""");
        var ctx = G.Ctx("{}", "Please sit down.");
        var pass = G.Grade(g, ctx);
        G.AssertPass(pass);
        Assert.Equal("polite", pass.Label);
        var fail = G.Grade(g, ctx);
        G.AssertFail(fail);
        Assert.False(fail.IsError);
        Assert.Equal("rude", fail.Label);
        // no system message given: the format instruction leads as a system message
        Assert.Equal(ChatRole.System, client.Calls[0].Messages[0].Role);
        Assert.Contains("\"polite\", \"rude\", \"neutral\"", client.Calls[0].Messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("Classify the tone of: Please sit down.", client.Calls[0].Messages[1].Text);
    }

    [Theory]
    [InlineData("""{"result": "Polite"}""")]
    [InlineData("""{"result": "friendly"}""")]
    [InlineData("polite")]
    [InlineData("""{"label": "polite"}""")]
    public void Label_model_rejects_labels_outside_the_set(string reply)
    {
        var (g, client, _) = Build(LabelYaml);
        client.Reply(reply);
        G.AssertError(G.Grade(g, G.Ctx("{}", "hi")), GradeErrorKind.ParseError);
    }

    [Fact]
    public void Model_graders_need_a_judge_client()
    {
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml(LabelYaml));
        Assert.Contains("judge", e.Message, StringComparison.Ordinal);
        var env = new GraderEnvironment { JudgeClient = _ => new ScriptedChatClient() };
        var bad = Assert.Throws<GraderConfigException>(() => G.Yaml(LabelYaml.Replace("[polite, neutral]", "[kind]", StringComparison.Ordinal), env));
        Assert.Contains("'kind' is not one of the labels", bad.Message, StringComparison.Ordinal);
    }
}
