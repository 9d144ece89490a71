using System.Text.Json.Nodes;
using Hone.Migrate.Plan;
using Hone.Migrate.Run;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Migrate.Tests;

public sealed class PlanTests
{
    private static void WriteCapture(MigrationFolder folder, IEnumerable<(string Id, string User, string Answer)> cases)
    {
        Directory.CreateDirectory(folder.Root);
        File.WriteAllLines(folder.CaptureFile, cases.Select(c => new JsonObject
        {
            ["id"] = c.Id,
            ["tags"] = new JsonArray(),
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = c.User }),
            ["reference"] = c.Answer,
            ["source"] = new JsonObject { ["model"] = "ft:m", ["settings"] = new JsonObject { ["max_tokens"] = 8 } },
        }.ToJsonString()));
    }

    [Fact]
    public void Graders_follow_the_data()
    {
        var json = GraderChoice.Choose(["{\"a\":1,\"b\":\"x\"}", " {\"a\":2} "], null);
        Assert.Equal(("json", "json_field_match"), (json.Kind, (string?)json.Graders[0]!["type"]));
        var labels = GraderChoice.Choose([.. Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? "spam" : "not spam")], null);
        Assert.Equal(("labels", "string_check", "eq"), (labels.Kind, (string?)labels.Graders[0]!["type"], (string?)labels.Graders[0]!["operation"]));
        var prose = Enumerable.Range(0, 30).Select(i => $"Thanks for writing; your order {i} ships on Monday and arrives within a week.").ToList();
        var free = GraderChoice.Choose(prose, null);
        Assert.Equal(("free_text", "text_similarity"), (free.Kind, (string?)free.Graders[0]!["type"]));
        Assert.Contains("--judge", free.Reason, StringComparison.Ordinal);
        var judged = GraderChoice.Choose(prose, "openai:gpt-4.1");
        Assert.Equal(("score_model", "openai:gpt-4.1"), ((string?)judged.Graders[0]!["type"], (string?)judged.Graders[0]!["model"]));
        // Every choice builds with the Evals grader factory (the judge resolved by the host).
        foreach (var c in new[] { json, labels, free }) Assert.Single(AgreementEval.Graders(c.Graders, null));
        Assert.Throws<MigrateException>(() => AgreementEval.Graders(judged.Graders, null)); // a model grader needs a judge
    }

    [Fact]
    public async Task Chosen_graders_grade_agreement_with_the_hosted_answer()
    {
        var json = AgreementEval.Graders(GraderChoice.Choose(["{\"a\":1,\"b\":\"x\"}", "{\"a\":2,\"b\":\"y\"}"], null).Graders, null);
        var c = new Capture.CapturedCase("k", new Capture.CaseInput("k", [("user", "q")], []), "{\"a\":1,\"b\":\"x\"}", [], 0, 0, null, null,
            new JsonObject { ["id"] = "k", ["reference"] = "{\"a\":1,\"b\":\"x\"}" });
        Assert.True((await AgreementEval.GradeAsync(c, "{\"b\": \"x\", \"a\": 1.0}", 1, json, default)).Pass); // same fields, other order and spelling
        var partial = await AgreementEval.GradeAsync(c, "{\"a\":1,\"b\":\"z\"}", 1, json, default);
        Assert.Equal((false, 0.5), (partial.Pass, partial.Scores["json_fields"]));
    }

    [Fact]
    public void Candidates_report_size_context_template_and_licence()
    {
        var hf = TestAssets.Path("models", "stories260K-hf");
        var described = ModelCandidates.Describe(hf, 100);
        using (var model = LlamaModel.Load(hf)) Assert.Equal(model.Weights.ParameterCount, described.Parameters);
        Assert.Equal(512, described.Context);
        Assert.False(described.Usable); // no tokenizer beside it
        Assert.Contains("tokenizer", described.Note, StringComparison.Ordinal);

        var dir = Path.Combine(TestAssets.NewTempDir(), "models");
        var mine = Path.Combine(dir, "mine");
        Directory.CreateDirectory(mine);
        foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(hf, f), Path.Combine(mine, f));
        File.WriteAllText(Path.Combine(mine, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(mine, "tokenizer_config.json"), """{"chat_template":"{{ messages }}"}""");
        File.WriteAllText(Path.Combine(mine, "README.md"), "---\nlanguage: en\nlicense: apache-2.0\n---\n# A model\n");
        var other = Path.Combine(dir, "other");
        Directory.CreateDirectory(other);
        File.Copy(Path.Combine(hf, "config.json"), Path.Combine(other, "config.json"));
        File.WriteAllText(Path.Combine(other, "LICENSE"), "\nMIT License\n\nCopyright ...");
        var found = ModelCandidates.Find([dir], 100);
        Assert.Equal(["mine", "other"], found.Select(c => c.Name));
        Assert.Equal(("apache-2.0", "own", true), (found[0].Licence, found[0].ChatTemplate, found[0].Usable));
        Assert.Equal("MIT License (LICENSE)", found[1].Licence);
        Assert.False(found[1].Usable);
        Assert.False(ModelCandidates.Find([dir], 10_000)[0].Usable); // the longest case would not fit the context of 512
    }

    [Fact]
    public void The_split_is_seeded_disjoint_and_stable_as_cases_are_added()
    {
        var dir = TestAssets.NewTempDir();
        var folder = new MigrationFolder(Path.Combine(dir, "m"));
        var cases = Enumerable.Range(0, 40).Select(i => ($"c{i}", $"text {i}", i % 2 == 0 ? "yes" : "no")).ToList();
        WriteCapture(folder, cases);
        var plan = Planner.Plan(folder, new PlanOptions { HeldOut = 0.25, Seed = 3 });
        Assert.Equal(40, plan.Cases);
        Assert.InRange(plan.HeldOut, 4, 18); // about a quarter
        Assert.Equal(40, plan.Train + plan.HeldOut);
        Assert.Equal(Enumerable.Range(0, 40).Count(i => Planner.SplitKey(3, $"c{i}") < 0.25), plan.HeldOut);
        Assert.Null(plan.Chosen);
        Assert.Equal("labels", plan.Graders.Kind);
        var held = Capture.CaptureFile.Read(folder.HeldOutFile).Select(c => c.Id).ToHashSet();
        var train = File.ReadAllLines(folder.TrainFile).Select(l => JsonNode.Parse(l)!["messages"]![0]!["content"]!.ToString()).ToList();
        Assert.Equal(plan.Train, train.Count);
        Assert.DoesNotContain(train, t => held.Contains("c" + t.Split(' ')[1]));
        Assert.Equal("assistant", (string?)JsonNode.Parse(File.ReadAllLines(folder.TrainFile)[0])!["messages"]![1]!["role"]);

        Assert.Equal(held, Replan(folder, 3)); // seeded: the same again
        Assert.NotEqual(held, Replan(folder, 4));
        WriteCapture(folder, cases.Concat(Enumerable.Range(40, 40).Select(i => ($"c{i}", $"text {i}", "no"))));
        Assert.True(held.IsSubsetOf(Replan(folder, 3))); // adding cases never moves a held-out case into training
        Assert.Throws<MigrateException>(() => Planner.Plan(folder, new PlanOptions { HeldOut = 1.5 }));
    }

    private static HashSet<string> Replan(MigrationFolder folder, int seed)
    {
        Planner.Plan(folder, new PlanOptions { HeldOut = 0.25, Seed = seed });
        return Capture.CaptureFile.Read(folder.HeldOutFile).Select(c => c.Id).ToHashSet();
    }
}
