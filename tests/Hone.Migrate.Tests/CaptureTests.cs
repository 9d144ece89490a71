using System.Diagnostics;
using System.Text.Json.Nodes;
using Hone.Evals.Tests.Providers;
using Hone.Migrate.Capture;
using Hone.Store;
using Hone.Testing;

namespace Hone.Migrate.Tests;

/// <summary>
/// Capture against a scripted OpenAI-compatible endpoint on loopback: a kill leaves a valid capture that resumes
/// without paying twice (requests counted at the server), a 429's Retry-After is honoured, and the key never reaches
/// disk.
/// </summary>
public sealed class CaptureTests
{
    private const string Key = "sk-migrate-test-6f1c2a";
    private const string KeyVar = "HONE_MIGRATE_TEST_KEY";

    private static string? Env(string name) => name == KeyVar ? Key : null;

    private static WorkspaceConfig Config(Uri baseUrl) => new()
    {
        Providers = new(StringComparer.Ordinal) { ["hosted"] = new ProviderConfig { BaseUrl = baseUrl.ToString(), ApiKeyEnv = KeyVar } },
    };

    private static List<CaseInput> Inputs(int n) =>
        [.. Enumerable.Range(0, n).Select(i => new CaseInput($"c{i}", [("system", "Label it."), ("user", $"text {i}")], i % 2 == 0 ? ["even"] : []))];

    private sealed class CancelAt(int count, CancellationTokenSource cts) : IProgress<int>
    {
        public void Report(int value)
        {
            if (value >= count) cts.Cancel();
        }
    }

    [Fact]
    public async Task A_killed_capture_resumes_without_sending_or_paying_twice()
    {
        var dir = TestAssets.NewTempDir();
        using var server = new FakeOpenAiServer();
        for (int i = 0; i < 6; i++) server.Enqueue(200, FakeOpenAiServer.Completion($"answer {i}", prompt: 10, completion: 2));
        var folder = new MigrationFolder(Path.Combine(dir, "migrate"));
        var options = new CaptureOptions
        {
            Provider = "hosted", Model = "ft:m", Concurrency = 1, InputPer1M = 1m, OutputPer1M = 2m,
            Settings = new SamplingSettings { Temperature = 0.2, MaxTokens = 16, Seed = 7 },
        };
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var inputs = Inputs(6);

        // The first run is killed after three answers.
        using (var cts = new CancellationTokenSource())
        {
            var capturer = new Capturer(folder, Config(server.BaseUrl), options, Env);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => capturer.RunAsync(inputs, store, new CancelAt(3, cts), cts.Token));
        }
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(3, CaptureFile.Read(folder.CaptureFile).Count);

        // What a kill can leave: the last answer arrived (and was cached) but its line was lost, and a torn line.
        var lines = File.ReadAllLines(folder.CaptureFile);
        File.WriteAllText(folder.CaptureFile, string.Join('\n', lines[..2]) + "\n{\"id\":\"c2\",\"messages\":[{\"role\":");

        var again = new Capturer(folder, Config(server.BaseUrl), options, Env);
        var estimate = again.Estimate(inputs);
        Assert.Equal((6, 2, 4), (estimate.Cases, estimate.AlreadyCaptured, estimate.ToSend));
        Assert.Equal(4 * 16, estimate.OutputTokens);
        var result = await again.RunAsync(inputs, store);
        Assert.Equal(6, server.Requests.Count); // each input reached the server once, over both runs
        Assert.Equal((6, 2, 3L, 1, 0), (result.Captured, result.Resumed, result.Requests, result.CacheHits, result.Errors));
        Assert.Equal(3 * (10 * 1m + 2 * 2m) / 1_000_000m, result.CostUsd);

        var cases = CaptureFile.Read(folder.CaptureFile);
        Assert.Equal(6, File.ReadAllLines(folder.CaptureFile).Length); // the torn line is gone
        Assert.Equal(["c0", "c1", "c2", "c3", "c4", "c5"], cases.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal("answer 2", cases.Single(c => c.Id == "c2").Reference); // from the cache: the answer the server gave the first time
        foreach (var c in cases)
        {
            var source = c.Line["source"]!;
            Assert.Equal("ft:m", (string?)source["model"]);
            Assert.Equal(server.BaseUrl.ToString(), (string?)source["base_url"]);
            Assert.True(DateTime.TryParse((string?)source["captured_at"], out _));
            Assert.Equal(0.2, (double)source["settings"]!["temperature"]!);
            Assert.Equal(16, (int)source["settings"]!["max_tokens"]!);
            Assert.Equal(7, (long)source["settings"]!["seed"]!);
        }
        Assert.Equal(["even"], cases.Single(c => c.Id == "c4").Tags);

        // The requests carried the production settings and the key; the key is nowhere on disk.
        var body = JsonNode.Parse(server.Requests[0].Body)!;
        Assert.Equal(0.2, (double)body["temperature"]!, 6);
        Assert.Equal(7, (long)body["seed"]!);
        Assert.Equal("Bearer " + Key, server.Requests[0].Authorization);
        AssertKeyNotUnder(dir);
        Assert.Equal("complete", (string?)MigrationFolder.ReadJson(folder.CaptureManifest, "capture")["status"]);
    }

    [Fact]
    public async Task A_429_is_retried_after_its_Retry_After()
    {
        var dir = TestAssets.NewTempDir();
        using var server = new FakeOpenAiServer();
        server.Enqueue(429, """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}""", ("Retry-After", "2"));
        server.Enqueue(200, FakeOpenAiServer.Completion("fine"));
        var folder = new MigrationFolder(Path.Combine(dir, "migrate"));
        var result = await new Capturer(folder, Config(server.BaseUrl), new CaptureOptions { Provider = "hosted", Model = "m", Concurrency = 1 }, Env)
            .RunAsync(Inputs(1), null);
        Assert.Equal((1, 0), (result.Captured, result.Errors));
        Assert.Equal(2, server.Requests.Count);
        var wait = Stopwatch.GetElapsedTime(server.Arrivals[0], server.Arrivals[1]);
        Assert.True(wait >= TimeSpan.FromMilliseconds(1950), $"retried {wait.TotalMilliseconds} ms after a 429 with Retry-After: 2");
        Assert.Equal("fine", CaptureFile.Read(folder.CaptureFile).Single().Reference);
    }

    [Fact]
    public async Task Pulls_files_and_jobs_through_the_fine_tuning_API_and_captures_from_the_training_file()
    {
        var dir = TestAssets.NewTempDir();
        var training = string.Join('\n',
            """{"messages":[{"role":"system","content":"Shout."},{"role":"user","content":"hello"},{"role":"assistant","content":"HELLO"}]}""",
            """{"messages":[{"role":"system","content":"Shout."},{"role":"user","content":"quiet please"},{"role":"assistant","content":"QUIET PLEASE"}]}""",
            """{"messages":[{"role":"user","content":"bye"},{"role":"assistant","content":"BYE"}]}""") + "\n";
        using var api = new FineTuningApiDouble(Key, training);
        var ws = Workspace.Init(Path.Combine(dir, "ws"), Config(api.BaseUrl));
        var request = new CaptureRequest(Path.Combine(ws.Root, "migrate"), new CaptureOptions { Provider = "hosted", Model = FineTuningApiDouble.Model }, [], Pull: true, FromFiles: true);
        var session = await CaptureSession.PrepareAsync(ws, request, Env);

        var pulled = session.Pulled!;
        var file = Assert.Single(pulled.Files); // the batch file is not a fine-tuning file
        Assert.Equal(("file-train1", "orders-train.jsonl"), (file.Id, file.FileName));
        Assert.Equal(training, File.ReadAllText(file.Path));
        Assert.Equal(["ftjob-1", "ftjob-0"], pulled.Jobs.Select(j => j.Id)); // both pages
        var job = pulled.Jobs[0];
        Assert.Equal((FineTuningApiDouble.Model, 2, 1), (job.FineTunedModel, job.Events, job.Checkpoints));
        Assert.Equal((1, 0), (pulled.Jobs[1].Events, pulled.Jobs[1].Checkpoints)); // its checkpoints answer 404: none
        var saved = JsonNode.Parse(File.ReadAllText(job.Path))!;
        Assert.Equal(0.91, (double)saved["checkpoints"]![0]!["metrics"]!["full_valid_mean_token_accuracy"]!);
        Assert.Equal("Step 10/30: training loss=0.41", (string?)saved["events"]![1]!["message"]);

        // The training file's prompts are the inputs (the answers dropped); nothing was sent to chat yet.
        Assert.Equal(3, session.Inputs.Count);
        Assert.Equal(3, session.Estimate.ToSend);
        Assert.DoesNotContain(api.Requests, r => r.Contains("chat", StringComparison.Ordinal));
        Assert.All(session.Inputs, i => Assert.Equal("user", i.Messages[^1].Role));

        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var result = await session.RunAsync(store);
        Assert.Equal(3, result.Captured);
        var byUser = CaptureFile.Read(session.Folder.CaptureFile).ToDictionary(c => c.Input.LastUser, c => c.Reference);
        Assert.Equal("QUIET PLEASE", byUser["quiet please"]);
        AssertKeyNotUnder(dir);
    }

    [Fact]
    public void Bad_inputs_and_options_are_errors_that_say_where()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(path, ["""{"input":"a"}""", """{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"id":"k"}""", "{broken"]);
        var e = Assert.Throws<MigrateException>(() => CaseInputReader.Read(path));
        Assert.Contains("in.jsonl:3", e.Message, StringComparison.Ordinal);
        File.WriteAllLines(path, ["""{"input":"a","id":"k"}""", """{"input":"b","id":"k"}"""]);
        Assert.Contains("used twice", Assert.Throws<MigrateException>(() => CaseInputReader.Read(path)).Message, StringComparison.Ordinal);
        File.WriteAllLines(path, ["""{"messages":[{"role":"system","content":"x"}]}"""]);
        Assert.Contains("user turn", Assert.Throws<MigrateException>(() => CaseInputReader.Read(path)).Message, StringComparison.Ordinal);
        Assert.Throws<MigrateException>(() => new CaptureOptions { Provider = "p", Model = "m", Concurrency = 0 }.Validate());
        Assert.Throws<MigrateException>(() => new Capturer(new MigrationFolder(dir), new WorkspaceConfig(), new CaptureOptions { Provider = "nope", Model = "m" }));
        // The key variable unset: a clear error, nothing sent.
        var missing = Assert.Throws<MigrateException>(() => new Capturer(new MigrationFolder(dir), Config(new Uri("http://127.0.0.1:9/v1")), new CaptureOptions { Provider = "hosted", Model = "m" }, _ => null));
        Assert.Contains(KeyVar, missing.Message, StringComparison.Ordinal);
    }

    internal static void AssertKeyNotUnder(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(f);
            Assert.False(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Key)) >= 0, $"the API key is in {f}");
        }
    }
}
