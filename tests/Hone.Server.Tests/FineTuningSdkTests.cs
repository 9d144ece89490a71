#pragma warning disable OPENAI001 // the SDK marks fine-tuning as experimental
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Hone.FineTuning;
using Hone.Models.Chat;
using Hone.Testing;
using Hone.Training.Rft;
using Hone.Training.Runs;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Files;
using OpenAI.FineTuning;
using Xunit.Abstractions;
using HoneTuningOptions = Hone.FineTuning.FineTuningOptions;
using SdkTuningOptions = OpenAI.FineTuning.FineTuningOptions;

namespace Hone.Server.Tests;

/// <summary>
/// The fine-tuning API of hone serve driven by the official OpenAI .NET SDK over loopback, on stories260K: upload (and a
/// refused upload), create, poll, events, checkpoints, chat with the tuned model; validation errors in OpenAI's shape; and a
/// server restart in the middle of a job, which resumes from its checkpoint.
/// </summary>
public sealed class FineTuningSdkTests(ITestOutputHelper output)
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string Line(string user, string answer) => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = user }, new { role = "assistant", content = answer } },
    });

    private static byte[] TrainingData(int n) => Encoding.UTF8.GetBytes(string.Join("\n",
        Enumerable.Range(0, n).Select(i => Line($"Tell me about friend {i}.", "Lily had a red ball. She was happy."))) + "\n");

    private sealed class Host : IAsyncDisposable
    {
        public required FineTuningService Service { get; init; }
        public required HoneServer Server { get; init; }
        public required LocalChatClient Base { get; init; }

        public static async Task<Host> StartAsync(string dir, Action<TrainingProgress, CancellationToken>? hook = null, Func<string, IRewardFunction>? reward = null)
        {
            var local = LocalChatClient.Load(Stories, template: "chatml");
            var service = FineTuningService.Start(new HoneTuningOptions
            {
                DatabasePath = Path.Combine(dir, "hone.db"), Folder = Path.Combine(dir, "ft"), BaseModelId = local.ModelId, BaseModelPath = Stories,
                Template = "chatml", Threads = 2, LoraRank = 4, ProgressHook = hook, LoadReward = reward,
            });
            var server = await HoneServer.StartAsync(local, new ServerOptions { Port = 0, ApiKey = ServerFixture.Key }, null, service);
            return new Host { Service = service, Server = server, Base = local };
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Service.DisposeAsync();
            Base.Dispose();
        }
    }

    /// <summary>Records each request and the start of its answer: the transcript of the closing note.</summary>
    private sealed class Transcript : PipelinePolicy
    {
        public List<string> Lines { get; } = [];

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            ProcessNext(message, pipeline, currentIndex);
            Record(message);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            await ProcessNextAsync(message, pipeline, currentIndex);
            Record(message);
        }

        private void Record(PipelineMessage m)
        {
            var body = m.Response?.Content?.ToString() ?? "";
            body = body.Replace("\n", " ", StringComparison.Ordinal);
            lock (Lines) Lines.Add($"{m.Request.Method} {m.Request.Uri!.PathAndQuery} -> {m.Response?.Status} {(body.Length > 400 ? body[..400] + "…" : body)}");
        }
    }

    private static OpenAIClientOptions Options(HoneServer server, Transcript transcript)
    {
        var o = new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromSeconds(60) };
        o.AddPolicy(transcript, PipelinePosition.PerCall);
        return o;
    }

    private static async Task<FineTuningJob> WaitAsync(FineTuningJob job, string status)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await job.UpdateStatusAsync();
            if (job.Status.ToString() == status) return job;
            Assert.False(job.Status == FineTuningStatus.Failed || job.Status == FineTuningStatus.Cancelled, $"job ended {job.Status}");
            Assert.True(DateTime.UtcNow < until, $"job still {job.Status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Sdk_uploads_creates_polls_lists_events_and_checkpoints_then_chats_with_the_tuned_model()
    {
        var dir = TestAssets.NewTempDir();
        await using var host = await Host.StartAsync(dir);
        var transcript = new Transcript();
        var options = Options(host.Server, transcript);
        var key = new ApiKeyCredential(ServerFixture.Key);
        var openai = new OpenAIClient(key, options);
        var files = openai.GetOpenAIFileClient();
        var tuning = openai.GetFineTuningClient();

        // A file the data check refuses: the SDK sees a 400 in OpenAI's error shape with the check's findings.
        var bad = await Assert.ThrowsAsync<ClientResultException>(() => files.UploadFileAsync(
            BinaryData.FromString("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\nnot json\n"), "bad.jsonl", FileUploadPurpose.FineTune));
        Assert.Equal(400, bad.Status);
        var badBody = JsonDocument.Parse(bad.GetRawResponse()!.Content).RootElement.GetProperty("error");
        Assert.Equal("invalid_file", badBody.GetProperty("code").GetString());
        Assert.Contains("data check", badBody.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty((await files.GetFilesAsync()).Value);

        var upload = (await files.UploadFileAsync(BinaryData.FromBytes(TrainingData(8)), "train.jsonl", FileUploadPurpose.FineTune)).Value;
        Assert.Equal("train.jsonl", upload.Filename);
        Assert.Equal(TrainingData(8).Length, upload.SizeInBytes);
        Assert.Equal(upload.Id, (await files.GetFileAsync(upload.Id)).Value.Id);
        Assert.Equal(TrainingData(8), (await files.DownloadFileAsync(upload.Id)).Value.ToArray());

        // A validation error in OpenAI's shape, naming the parameter.
        var invalid = await Assert.ThrowsAsync<ClientResultException>(() => tuning.FineTuneAsync(host.Server.ModelId, upload.Id, false,
            new SdkTuningOptions { TrainingMethod = FineTuningTrainingMethod.CreateSupervised(HyperparameterBatchSize.CreateAuto(), new HyperparameterEpochCount(0), HyperparameterLearningRate.CreateAuto()) }));
        Assert.Equal(400, invalid.Status);
        Assert.Equal("method.supervised.hyperparameters.n_epochs", JsonDocument.Parse(invalid.GetRawResponse()!.Content).RootElement.GetProperty("error").GetProperty("param").GetString());
        var unknownModel = await Assert.ThrowsAsync<ClientResultException>(() => tuning.FineTuneAsync("gpt-4o-mini", upload.Id, false));
        Assert.Equal(400, unknownModel.Status);

        var job = await tuning.FineTuneAsync(host.Server.ModelId, upload.Id, false, new SdkTuningOptions
        {
            TrainingMethod = FineTuningTrainingMethod.CreateSupervised(new HyperparameterBatchSize(2), new HyperparameterEpochCount(3), new HyperparameterLearningRate(5.0)),
            Suffix = "lily",
            Seed = 7,
        });
        Assert.StartsWith("ftjob-", job.JobId, StringComparison.Ordinal);
        await WaitAsync(job, "succeeded");
        var hyper = Assert.IsType<HyperparametersForSupervised>(job.MethodHyperparameters);
        Assert.Equal(3, hyper.EpochCount);
        Assert.Equal(2, hyper.BatchSize);
        Assert.StartsWith($"ft:{host.Server.ModelId}:hone:lily:", job.Value, StringComparison.Ordinal);
        // trained_tokens (the SDK's BillableTrainedTokenCount does not read it): the examples' tokens × 3 epochs.
        Assert.True(JsonDocument.Parse(job.GetRawResponse().Content).RootElement.GetProperty("trained_tokens").GetInt64() > 0);

        var events = new List<FineTuningEvent>();
        await foreach (var e in job.GetEventsAsync(new GetEventsOptions { PageSize = 5 })) events.Add(e);
        var metrics = events.Where(e => e.Kind == FineTuningJobEventKind.Metrics).ToList();
        Assert.Equal(12, metrics.Count); // 8 examples / batch 2 × 3 epochs, paged 5 at a time
        Assert.Contains(events, e => e.Message.StartsWith("New fine-tuned model created", StringComparison.Ordinal));
        var losses = metrics.OrderBy(e => e.CreatedAt).Select(e => JsonDocument.Parse(e.Data).RootElement).OrderBy(d => d.GetProperty("step").GetInt32())
            .Select(d => d.GetProperty("train_loss").GetDouble()).ToList();
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]} -> {losses[^1]}");

        var checkpoints = new List<FineTuningCheckpoint>();
        await foreach (var c in job.GetCheckpointsAsync(new GetCheckpointsOptions())) checkpoints.Add(c);
        Assert.Equal([12, 8, 4], checkpoints.Select(c => c.StepNumber));
        Assert.All(checkpoints, c => Assert.NotNull(c.Metrics.TrainLoss));
        Assert.EndsWith(":ckpt-step-12", checkpoints[0].ModelId, StringComparison.Ordinal);

        var prompt = new ChatMessage[] { new UserChatMessage("Tell me about friend 3.") };
        var chat = openai.GetChatClient(job.Value);
        var tuned = (await chat.CompleteChatAsync(prompt, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 })).Value;
        var baseline = (await openai.GetChatClient(host.Server.ModelId).CompleteChatAsync(prompt, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12 })).Value;
        Assert.Equal(job.Value, tuned.Model);
        Assert.NotEqual(baseline.Content[0].Text, tuned.Content[0].Text);
        Assert.StartsWith("Lily", tuned.Content[0].Text, StringComparison.Ordinal);

        var listed = tuning.GetJobs(new FineTuningJobCollectionOptions { PageSize = 1 }).ToList();
        Assert.Equal(job.JobId, Assert.Single(listed).JobId);
        File.WriteAllLines(Path.Combine(Path.GetTempPath(), "hone-ft-sdk-transcript.txt"), transcript.Lines);
        foreach (var l in transcript.Lines) output.WriteLine(l);
    }

    [Fact]
    public async Task A_job_paused_then_interrupted_by_a_server_restart_resumes_from_its_checkpoint_and_succeeds()
    {
        var dir = TestAssets.NewTempDir();
        using var atCheckpoint = new ManualResetEventSlim();
        using var hold = new ManualResetEventSlim();
        string jobId;
        var holdAtEpoch = 1;
        var transcript = new Transcript();
        var key = new ApiKeyCredential(ServerFixture.Key);
        // First server: the job is held at its checkpoint of epoch 1 and paused, resumed, held at epoch 2, and the server stops under it.
        var first = await Host.StartAsync(dir, (p, ct) =>
        {
            if (p.Phase != "checkpoint" || p.Epoch != Volatile.Read(ref holdAtEpoch)) return;
            atCheckpoint.Set();
            WaitHandle.WaitAny([ct.WaitHandle, hold.WaitHandle]);
        });
        await using (first)
        {
            var openai = new OpenAIClient(key, Options(first.Server, transcript));
            var file = (await openai.GetOpenAIFileClient().UploadFileAsync(BinaryData.FromBytes(TrainingData(8)), "train.jsonl", FileUploadPurpose.FineTune)).Value;
            var tuning = openai.GetFineTuningClient();
            var job = await tuning.FineTuneAsync(first.Server.ModelId, file.Id, false, new SdkTuningOptions
            {
                TrainingMethod = FineTuningTrainingMethod.CreateSupervised(new HyperparameterBatchSize(2), new HyperparameterEpochCount(3), HyperparameterLearningRate.CreateAuto()),
            });
            jobId = job.JobId;
            Assert.True(atCheckpoint.Wait(TimeSpan.FromSeconds(60)), "no checkpoint");

            // Pause and resume while it runs (the protocol methods of the SDK): it stops at the next step and goes back to the queue.
            var paused = JsonDocument.Parse((await tuning.PauseFineTuningJobAsync(jobId, new RequestOptions())).GetRawResponse().Content).RootElement;
            hold.Set();
            await WaitAsync(job, "paused");
            var resumeTooEarly = await Assert.ThrowsAsync<ClientResultException>(() => tuning.PauseFineTuningJobAsync(jobId, new RequestOptions()));
            Assert.Equal(409, resumeTooEarly.Status);
            atCheckpoint.Reset();
            hold.Reset();
            Volatile.Write(ref holdAtEpoch, 2);
            await tuning.ResumeFineTuningJobAsync(jobId, new RequestOptions());
            Assert.True(atCheckpoint.Wait(TimeSpan.FromSeconds(60)), "no checkpoint after resume");
            Assert.Equal("running", paused.GetProperty("status").GetString());
        } // the server stops while the job is held at its checkpoint of epoch 2 (it stays 'running' in the store)

        await using var second = await Host.StartAsync(dir);
        var sdk = new OpenAIClient(key, Options(second.Server, transcript)).GetFineTuningClient();
        var resumed = await sdk.GetJobAsync(jobId);
        await WaitAsync(resumed, "succeeded");
        var events = new List<FineTuningEvent>();
        await foreach (var e in resumed.GetEventsAsync(new GetEventsOptions())) events.Add(e);
        Assert.Single(events, e => e.Message.StartsWith("Fine-tuning job resumed from its checkpoint of epoch 1", StringComparison.Ordinal)); // after the pause
        Assert.Single(events, e => e.Message.StartsWith("Fine-tuning job resumed from its checkpoint of epoch 2", StringComparison.Ordinal)); // after the restart
        var steps = events.Where(e => e.Kind == FineTuningJobEventKind.Metrics).Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, 12), steps.Order()); // no epoch was trained twice
        Assert.Equal(12, steps.Max());
        var checkpoints = new List<FineTuningCheckpoint>();
        await foreach (var c in resumed.GetCheckpointsAsync(new GetCheckpointsOptions())) checkpoints.Add(c);
        Assert.Equal([12, 8, 4], checkpoints.Select(c => c.StepNumber));
        var reply = await new OpenAIClient(key, Options(second.Server, transcript)).GetChatClient(resumed.Value)
            .CompleteChatAsync([new UserChatMessage("Tell me about friend 1.")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 });
        Assert.False(string.IsNullOrEmpty(reply.Value.Content[0].Text));
        File.WriteAllLines(Path.Combine(Path.GetTempPath(), "hone-ft-restart-transcript.txt"), transcript.Lines);
    }

    [Fact]
    public async Task Bad_requests_get_OpenAI_errors_naming_the_parameter()
    {
        var dir = TestAssets.NewTempDir();
        await using var host = await Host.StartAsync(dir);
        using var http = new HttpClient { BaseAddress = host.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerFixture.Key);
        async Task<(int Status, JsonElement Error)> Post(string body)
        {
            using var r = await http.PostAsync(new Uri("v1/fine_tuning/jobs", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            return ((int)r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error"));
        }
        var m = host.Server.ModelId;
        static string Body(string model, string rest) => "{\"model\":\"" + model + "\"" + rest;
        var cases = new (string Body, int Status, string Param)[]
        {
            (Body(m, """}"""), 400, "training_file"),
            (Body(m, ""","training_file":"file-x","epochs":3}"""), 400, "epochs"),
            (Body(m, ""","training_file":"file-x"}"""), 400, "training_file"),
            (Body(m, ""","training_file":"file-x","method":{"type":"ppo"}}"""), 400, "method.type"),
            (Body(m, ""","training_file":"file-x","method":{"type":"dpo","dpo":{"hyperparameters":{"beta":-1}}}}"""), 400, "method.dpo.hyperparameters.beta"),
            (Body(m, ""","training_file":"file-x","method":{"type":"supervised","supervised":{"hyperparameters":{"beta":0.1}}}}"""), 400, "method.supervised.hyperparameters.beta"),
            (Body(m, ""","training_file":"file-x","method":{"type":"reinforcement"}}"""), 400, "method.reinforcement.grader"),
            (Body(m, ""","training_file":"file-x","suffix":"no spaces please"}"""), 400, "suffix"),
        };
        foreach (var (body, status, param) in cases)
        {
            var (s, e) = await Post(body);
            Assert.True(status == s, body);
            Assert.Equal(param, e.GetProperty("param").GetString());
            Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        }
        using var missing = await http.GetAsync(new Uri("v1/fine_tuning/jobs/ftjob-nope", UriKind.Relative));
        Assert.Equal(404, (int)missing.StatusCode);
        using var cancel = await http.PostAsync(new Uri("v1/fine_tuning/jobs/ftjob-nope/cancel", UriKind.Relative), null);
        Assert.Equal(404, (int)cancel.StatusCode);
    }

    /// <summary>A reward read from the grader file: 1 when the output contains the item's <c>answer</c>.</summary>
    private sealed class ContainsAnswer(string graderFile) : IRewardFunction
    {
        public string Name { get; } = JsonDocument.Parse(File.ReadAllText(graderFile)).RootElement.GetProperty("name").GetString()!;

        public ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken) =>
            ValueTask.FromResult(RewardResult.Of(Name, output.Contains(item.GetProperty("answer").GetString()!, StringComparison.Ordinal) ? 1 : 0));
    }

    [Fact]
    public async Task Dpo_and_reinforcement_jobs_train_with_their_hyperparameters()
    {
        var dir = TestAssets.NewTempDir();
        await using var host = await Host.StartAsync(dir, reward: path => new ContainsAnswer(path));
        var openai = new OpenAIClient(new ApiKeyCredential(ServerFixture.Key), Options(host.Server, new Transcript()));
        var files = openai.GetOpenAIFileClient();
        var tuning = openai.GetFineTuningClient();

        var pairs = string.Join("\n", Enumerable.Range(0, 4).Select(i => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = $"Who is friend {i}?" } } },
            preferred_output = new[] { new { role = "assistant", content = "Lily." } },
            non_preferred_output = new[] { new { role = "assistant", content = "A big dog ran away." } },
        })));
        var pairFile = (await files.UploadFileAsync(BinaryData.FromString(pairs), "pairs.jsonl", FileUploadPurpose.FineTune)).Value;
        var dpo = await tuning.FineTuneAsync(host.Server.ModelId, pairFile.Id, false, new SdkTuningOptions
        {
            TrainingMethod = FineTuningTrainingMethod.CreateDirectPreferenceOptimization(new HyperparameterBatchSize(2), new HyperparameterEpochCount(2),
                HyperparameterLearningRate.CreateAuto(), new HyperparameterBetaFactor(1)),
        });
        // An SFT file is refused for a DPO job, naming training_file.
        var sftFile = (await files.UploadFileAsync(BinaryData.FromBytes(TrainingData(2)), "sft.jsonl", FileUploadPurpose.FineTune)).Value;
        var wrongKind = await Assert.ThrowsAsync<ClientResultException>(() => tuning.FineTuneAsync(host.Server.ModelId, sftFile.Id, false, new SdkTuningOptions
        {
            TrainingMethod = FineTuningTrainingMethod.CreateDirectPreferenceOptimization(HyperparameterBatchSize.CreateAuto(), HyperparameterEpochCount.CreateAuto(),
                HyperparameterLearningRate.CreateAuto(), HyperparameterBetaFactor.CreateAuto()),
        }));
        Assert.Contains("\"training_file\"", wrongKind.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);

        var prompts = string.Join("\n", Enumerable.Range(0, 2).Select(i => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = $"Name friend {i}." } },
            answer = "Lily",
        })));
        var promptFile = (await files.UploadFileAsync(BinaryData.FromString(prompts), "prompts.jsonl", FileUploadPurpose.FineTune)).Value;
        var grader = new { type = "string_check", name = "has_lily", input = "{{sample.output_text}}", reference = "Lily", operation = "like" };
        var body = JsonSerializer.Serialize(new
        {
            model = host.Server.ModelId, training_file = promptFile.Id,
            method = new { type = "reinforcement", reinforcement = new { grader, hyperparameters = new { n_epochs = 1, batch_size = 2, learning_rate_multiplier = 2, compute_multiplier = 0.25 } } },
        });
        var created = await tuning.FineTuneAsync(BinaryContent.Create(BinaryData.FromString(body)), false, new RequestOptions());
        var rft = await tuning.GetJobAsync(created.JobId);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await WaitAsync(dpo, "succeeded");
        output.WriteLine($"dpo done {clock.Elapsed}");
        var dpoHyper = Assert.IsType<HyperparametersForDPO>(dpo.MethodHyperparameters);
        Assert.Equal((2, 2, 1f), (dpoHyper.EpochCount, dpoHyper.BatchSize, dpoHyper.Beta));
        await WaitAsync(rft, "succeeded");
        output.WriteLine($"rft done {clock.Elapsed}");
        var rftEvents = new List<FineTuningEvent>();
        await foreach (var e in rft.GetEventsAsync(new GetEventsOptions())) rftEvents.Add(e);
        Assert.Single(rftEvents, e => e.Kind == FineTuningJobEventKind.Metrics); // 2 prompts / 2 per step × 1 epoch
        Assert.StartsWith("ft:", rft.Value, StringComparison.Ordinal);
        var reply = await openai.GetChatClient(dpo.Value).CompleteChatAsync([new UserChatMessage("Who is friend 9?")], new ChatCompletionOptions { MaxOutputTokenCount = 6 });
        Assert.Equal(dpo.Value, reply.Value.Model);
    }
}
