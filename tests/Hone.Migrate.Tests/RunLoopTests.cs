using System.Text.Json.Nodes;
using Hone.Evals.Synthesis;
using Hone.Migrate.Capture;
using Hone.Migrate.Plan;
using Hone.Migrate.Report;
using Hone.Migrate.Run;
using Hone.Testing;
using Hone.Training.Demo;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Tests;

/// <summary>
/// The run's loop on a tiny model with an unreachable target: every round trains and measures, DPO trains on the pairs
/// the open model lost, the teacher writes and answers new inputs between rounds, the budget of rounds ends the run,
/// and the report's figures agree with the run's outputs.
/// </summary>
public sealed class RunLoopTests
{
    private sealed class ScriptedTeacher : IChatClient
    {
        public int Writes;
        public int Answers;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            if (list[0].Text == CaseSynthesizer.Instruction)
            {
                var n = Interlocked.Increment(ref Writes);
                var written = new JsonObject
                {
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = "Which department?" },
                        new JsonObject { ["role"] = "user", ["content"] = $"Tom from Lima wants {n} blue mugs." }),
                };
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, written.ToJsonString())));
            }
            Interlocked.Increment(ref Answers);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "kitchen")));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task Rounds_train_pair_and_synthesise_until_the_round_budget_and_the_report_agrees()
    {
        var dir = TestAssets.NewTempDir();
        var model = Path.Combine(dir, "models", "tiny");
        DemoBaseModel.Build(new DemoBaseModelOptions
        {
            Merges = 200, Dim = 32, HiddenDim = 64, Layers = 1, Heads = 2, KvHeads = 1, MaxSeqLen = 256, Documents = 24, IndexDocuments = 8, Conversations = 8,
            BatchSize = 8, Epochs = 1, Threads = 1,
        }, model);
        var folder = new MigrationFolder(Path.Combine(dir, "migrate"));
        Directory.CreateDirectory(folder.Root);
        string[] items = ["mugs", "lamps", "shirts", "pens"];
        string[] answers = ["kitchen", "home", "clothes", "office"];
        File.WriteAllLines(folder.CaptureFile, Enumerable.Range(0, 16).Select(i => new JsonObject
        {
            ["id"] = $"c{i}",
            ["tags"] = new JsonArray(i % 2 == 0 ? "even" : "odd"),
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "Which department?" },
                new JsonObject { ["role"] = "user", ["content"] = $"Maria from Oslo wants {i % 7 + 2} red {items[i % 4]}." }),
            ["reference"] = answers[i % 4],
            ["source"] = new JsonObject { ["model"] = "ft:m", ["base_url"] = "http://127.0.0.1:1/v1", ["settings"] = new JsonObject { ["temperature"] = 0, ["max_tokens"] = 4 } },
            ["usage"] = new JsonObject { ["input_tokens"] = 30, ["output_tokens"] = 2 },
            ["cost_usd"] = 0.00001,
            ["latency_ms"] = 400.0,
        }.ToJsonString()));
        var plan = Planner.Plan(folder, new PlanOptions { Candidates = [Path.Combine(dir, "models")], HeldOut = 0.25, Target = 1.0, Epochs = 1 });
        Assert.Equal(model, plan.Chosen!.Path);

        var teacher = new ScriptedTeacher();
        var runner = new MigrationRunner(folder, new MigrateRunOptions { MaxRounds = 2, Dpo = true, Synthesize = 1, SynthesizeCases = 3, Threads = 1, BatchSize = 4 })
        {
            Teacher = teacher,
            Synthesizer = new CaseInputSynthesizer(teacher, "ft:m"),
        };
        var result = await runner.RunAsync(null);

        Assert.False(result.Reached);
        Assert.Equal("rounds", result.StopReason);
        Assert.Equal(2, result.Rounds.Count);
        Assert.Equal(plan.Train, result.Rounds[0].TrainExamples);
        Assert.True(result.Rounds[0].DpoPairs > 0, "the tiny model loses pairs after one epoch");
        Assert.True(File.Exists(Path.Combine(folder.RunDir, "round-1", "pairs.jsonl")));
        Assert.Equal(3, teacher.Writes); // one new input for each of three failing cases
        Assert.Equal(3, teacher.Answers);
        Assert.Equal((3, plan.Train + 3), (result.Rounds[1].Synthesized, result.Rounds[1].TrainExamples));
        var synth = File.ReadAllLines(Path.Combine(folder.RunDir, "synthesized.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(synth, s => Assert.Contains("synth", s["tags"]!.AsArray().Select(t => (string)t!)));
        Assert.All(synth, s => Assert.Equal("kitchen", (string?)s["messages"]!.AsArray().Last()!["content"]));
        Assert.True(File.Exists(Path.Combine(folder.ModelDir, "model.safetensors")));

        var report = MigrationReport.Write(folder);
        var best = result.Rounds[result.Best - 1];
        Assert.Equal(best.Agreement, report.TunedAgreement.Value, 9);
        Assert.Equal(result.BaseAgreement, report.BaseAgreement.Value, 9);
        Assert.Equal(plan.HeldOut, report.HeldOut);
        Assert.Equal(plan.HeldOut - report.TunedAgreement.Passed, report.Differences.Count);
        Assert.Equal(0.01m, report.Cost.HostedUsd); // 0.00001 dollars a request
        Assert.Equal(400, report.HostedLatency.P50Ms);
        Assert.Equal(report.PerTag.Sum(t => t.Tuned.Cases), report.HeldOut);
        Assert.True(File.Exists(folder.ReportHtml));
    }
}
