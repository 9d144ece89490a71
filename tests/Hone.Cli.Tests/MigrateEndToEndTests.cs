using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Chat;
using Hone.Server;
using Hone.Store;
using Hone.Testing;
using Hone.Training.Demo;
using Hone.Training.Sft;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone migrate</c> end to end: <c>hone serve</c> (in process, on a loopback port, with an API key) plays the hosted
/// service; the "retiring fine-tune" it serves is a real tuned local model (the demo's small base model fine-tuned to
/// name an order's department). capture records it, plan picks the workspace's base model and exact-match graders, run
/// trains a fresh copy of the base on the capture until the held-out agreement reaches the target, and report shows the
/// agreement rising from the base model's. Requests are counted at the server; the key is checked absent from disk and
/// output.
/// </summary>
public sealed class MigrateEndToEndTests
{
    private const string Key = "sk-e2e-migrate-91b7d3";
    private const string KeyVar = "HONE_MIGRATE_E2E_KEY";
    private const string System = "Which department? One word.";
    private const string HostedModel = "ft:demo-orders:acme::retiring";

    private static readonly Dictionary<string, string> Departments = new(StringComparer.Ordinal)
    {
        ["mugs"] = "kitchen", ["plates"] = "kitchen", ["lamps"] = "home", ["chairs"] = "home", ["clocks"] = "home",
        ["shirts"] = "clothes", ["scarfs"] = "clothes", ["bags"] = "clothes", ["books"] = "office", ["pens"] = "office",
    };

    private static List<(string Sentence, string Department, string Shape)> Orders(int n, int seed)
    {
        string[] names = ["Maria", "Tom", "Aiko", "Lars", "Nina", "Omar", "Priya", "Jon"];
        string[] colors = ["red", "blue", "green", "black", "white", "yellow", "grey", "pink"];
        string[] cities = ["Lisbon", "Oslo", "Paris", "Kyoto", "Lima", "Cairo"];
        string[] shapes = ["{0} from {1} wants {2} {3} {4}.", "Please send {0} in {1} {2} {3} {4}.", "An order from {0} in {1}: {2} {3} {4}."];
        var items = Departments.Keys.ToArray();
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ =>
        {
            var item = items[rng.Next(items.Length)];
            var shape = rng.Next(shapes.Length);
            var s = string.Format(CultureInfo.InvariantCulture, shapes[shape], names[rng.Next(names.Length)], cities[rng.Next(cities.Length)], rng.Next(2, 10), colors[rng.Next(colors.Length)], item);
            return (s, Departments[item], "shape-" + shape.ToString(CultureInfo.InvariantCulture));
        })];
    }

    /// <summary>The hosted side's model: counts the requests that reach it.</summary>
    private sealed class CountingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public int Calls;

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return base.GetResponseAsync(messages, options, cancellationToken);
        }
    }

    [Fact]
    public async Task Capture_plan_run_report_moves_a_served_fine_tune_to_the_open_base_model()
    {
        // The open base model (the demo's quick one, built once and reused by later runs).
        var baseDir = Path.Combine(Path.GetTempPath(), "hone-tests", "migrate-demo-base-quick");
        DemoBaseModel.Build(DemoBaseModelOptions.Quick with { Threads = 2 }, baseDir);

        // The retiring fine-tune: the base trained on the real departments, served over the OpenAI API with a key.
        var dir = TestAssets.NewTempDir();
        var teacherTrain = Path.Combine(dir, "teacher-train.jsonl");
        File.WriteAllLines(teacherTrain, Orders(48, 3).Select(o => new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = System },
                new JsonObject { ["role"] = "user", ["content"] = o.Sentence },
                new JsonObject { ["role"] = "assistant", ["content"] = o.Department }),
        }.ToJsonString()));
        var teacher = SftRun.Start(new SftRunOptions
        {
            ModelPath = baseDir, TrainFile = teacherTrain, Threads = 2,
            Trainer = new SftOptions { Method = TrainingMethod.Full, Epochs = 8, BatchSize = 4, LearningRateMultiplier = 100, Seed = 1, EvalEvery = 0, KeepCheckpoints = 1 },
        }, Path.Combine(dir, "teacher-run"));
        using var served = new CountingClient(new LocalChatClient(teacher.Model, teacher.Encoder, ownsModel: true));
        await using var server = await HoneServer.StartAsync(served, new ServerOptions { Port = 0, ApiKey = Key }, HostedModel);

        // The team's workspace: the provider (key in an environment variable), a copy of the base model with its card.
        var ws = Path.Combine(dir, "ws");
        Workspace.Init(ws, new WorkspaceConfig
        {
            Providers = new(StringComparer.Ordinal) { ["hosted"] = new ProviderConfig { BaseUrl = new Uri(server.BaseAddress, "v1").ToString(), ApiKeyEnv = KeyVar } },
        });
        var local = Path.Combine(ws, "models", "open-base");
        Directory.CreateDirectory(local);
        foreach (var file in Directory.EnumerateFiles(baseDir)) File.Copy(file, Path.Combine(local, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(local, "README.md"), "---\nlicense: apache-2.0\n---\nThe demo base model.\n");
        File.WriteAllLines(Path.Combine(ws, "inputs.jsonl"), Orders(60, 11).Select((o, i) => new JsonObject
        {
            ["id"] = "c" + i.ToString("D2", CultureInfo.InvariantCulture), ["system"] = System, ["input"] = o.Sentence, ["tags"] = new JsonArray(o.Shape),
        }.ToJsonString()));
        Environment.SetEnvironmentVariable(KeyVar, Key);
        var outputs = new List<CliRunner.Result>();
        CliRunner.Result Hone(params string[] args)
        {
            var r = CliRunner.Run(ws, args);
            outputs.Add(r);
            return r;
        }

        // 1. capture: estimate first, then one request per input; a second capture sends nothing.
        string[] capture = ["migrate", "capture", "--provider", "hosted", "--model", HostedModel, "--inputs", "inputs.jsonl", "--temperature", "0", "--max-tokens", "8",
            "--input-price", "0.30", "--output-price", "1.20", "--json"];
        var dry = Hone([.. capture, "--dry-run"]);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Equal(60, dry.Json.GetProperty("estimate").GetProperty("to_send").GetInt32());
        Assert.True(dry.Json.GetProperty("estimate").GetProperty("cost_usd").GetDecimal() > 0);
        Assert.Equal(0, served.Calls);
        var captured = Hone(capture);
        Assert.True(captured.ExitCode == 0, captured.Stderr + captured.Stdout);
        Assert.Equal(60, served.Calls);
        Assert.Equal(60, captured.Json.GetProperty("result").GetProperty("captured").GetInt32());
        var again = Hone(capture);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal((60, 0), (again.Json.GetProperty("result").GetProperty("resumed").GetInt32(), again.Json.GetProperty("result").GetProperty("requests").GetInt32()));
        Assert.Equal(60, served.Calls);
        var answers = File.ReadLines(Path.Combine(ws, "migrate", "capture.jsonl")).Select(l => (string)JsonNode.Parse(l)!["reference"]!).ToList();
        Assert.True(answers.Distinct().Count() >= 2, "the served fine-tune answers depend on the input");

        // 2. plan: the workspace's base model (licence from its card), exact match for these labels, an estimate.
        var plan = Hone("migrate", "plan", "--epochs", "6", "--target", "0.75", "--json");
        Assert.True(plan.ExitCode == 0, plan.Stderr + plan.Stdout);
        Assert.Equal(Path.GetFullPath(local), plan.Json.GetProperty("chosen").GetString());
        Assert.Equal("apache-2.0", plan.Json.GetProperty("candidates")[0].GetProperty("licence").GetString());
        Assert.Equal("labels", plan.Json.GetProperty("graders_kind").GetString());
        Assert.True(plan.Json.GetProperty("estimate").GetProperty("train_seconds").GetDouble() > 0);
        var heldOut = plan.Json.GetProperty("split").GetProperty("held_out").GetInt32();

        // 3. run: a fresh copy of the base trained on the capture until held-out agreement reaches the target.
        var run = Hone("migrate", "run", "--lr-multiplier", "100", "--rounds", "3", "--threads", "2", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.True(run.Json.GetProperty("reached").GetBoolean());
        Assert.Equal("target", run.Json.GetProperty("stop_reason").GetString());
        Assert.Equal(60, served.Calls); // the run never calls the hosted model without --synthesize

        // 4. report: agreement rose from the base model's to the target, with intervals; the HTML stands alone.
        var report = Hone("migrate", "report", "--json");
        Assert.True(report.ExitCode == 0, report.Stderr + report.Stdout);
        var f = report.Json.GetProperty("figures");
        var before = f.GetProperty("base_agreement");
        var after = f.GetProperty("tuned_agreement");
        Assert.Equal(heldOut, after.GetProperty("cases").GetInt32());
        Assert.True(after.GetProperty("value").GetDouble() >= 0.75, $"tuned agreement {after.GetProperty("value").GetDouble()}");
        Assert.True(after.GetProperty("value").GetDouble() > before.GetProperty("value").GetDouble());
        Assert.True(after.GetProperty("low").GetDouble() <= after.GetProperty("value").GetDouble() && after.GetProperty("value").GetDouble() <= after.GetProperty("high").GetDouble());
        Assert.Equal(after.GetProperty("passed").GetInt32() - before.GetProperty("passed").GetInt32(), f.GetProperty("fixed").GetInt32() - f.GetProperty("regressed").GetInt32());
        Assert.Equal(heldOut - after.GetProperty("passed").GetInt32(), f.GetProperty("differences").GetArrayLength());
        Assert.Equal("exact", f.GetProperty("per_grader")[0].GetProperty("name").GetString());
        Assert.Equal(heldOut, f.GetProperty("per_tag").EnumerateArray().Sum(t => t.GetProperty("tuned").GetProperty("cases").GetInt32()));
        Assert.True(f.GetProperty("cost").GetProperty("hosted_usd").GetDecimal() > 0);
        Assert.True(f.GetProperty("tuned_latency").GetProperty("requests").GetInt32() == heldOut);
        var html = File.ReadAllText(Path.Combine(ws, "migrate", "report.html"));
        foreach (var section in new[] { "Agreement per grader", "Agreement per tag", "Fixed and regressed", "Cost per 1,000 requests", "Latency", "Cases that still differ" })
            Assert.Contains(section, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html.Replace(server.BaseAddress.ToString().TrimEnd('/'), "", StringComparison.Ordinal), StringComparison.Ordinal); // no external resources
        Assert.True(File.Exists(Path.Combine(ws, "migrate", "model", "model.safetensors")));

        // The key is nowhere on disk and in no output.
        foreach (var file in Directory.EnumerateFiles(ws, "*", SearchOption.AllDirectories))
            Assert.False(File.ReadAllText(file).Contains(Key, StringComparison.Ordinal), $"the API key is in {file}");
        Assert.DoesNotContain(outputs, o => o.Stdout.Contains(Key, StringComparison.Ordinal) || o.Stderr.Contains(Key, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "hone-tests", "migrate-e2e-figures.json"), JsonSerializer.Serialize(new { run = run.Json, figures = f }));
    }

    [Fact]
    public void Every_migrate_command_has_help_and_usage_errors_exit_2()
    {
        foreach (var step in new[] { "capture", "plan", "run", "report" })
        {
            var help = CliRunner.Run(TestAssets.NewTempDir(), "migrate", step, "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("--json", help.Stdout, StringComparison.Ordinal);
        }
        var ws = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(ws, "init").ExitCode);
        var noCapture = CliRunner.Run(ws, "migrate", "plan", "--json");
        Assert.Equal(2, noCapture.ExitCode);
        Assert.Contains("hone migrate capture", noCapture.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run(ws, "migrate", "capture", "--provider", "nope", "--model", "m", "--inputs", "x.jsonl").ExitCode);
        Assert.Equal(2, CliRunner.Run(ws, "migrate", "run").ExitCode);
        Assert.Equal(2, CliRunner.Run(ws, "migrate", "report").ExitCode);
    }
}
