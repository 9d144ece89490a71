#pragma warning disable OPENAI001 // the SDK marks fine-tuning as experimental
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.FineTuning;
using Hone.Models.Chat;
using Hone.Server;
using Hone.Store;
using Hone.Testing;
using OpenAI;
using OpenAI.Files;
using OpenAI.FineTuning;
using HoneTuningOptions = Hone.FineTuning.FineTuningOptions;
using SdkTuningOptions = OpenAI.FineTuning.FineTuningOptions;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone migrate capture --pull --from-files</c> against <c>hone serve</c>'s fine-tuning API (#16): a team's training
/// file is uploaded and a job fine-tunes stories260K on it; the capture pulls the file and the job (events, checkpoints),
/// takes the job's training prompts as its inputs and records the fine-tuned model's answers to them.
/// </summary>
public sealed class MigratePullFromServeTests
{
    private const string Key = "sk-e2e-pull-4c02aa";
    private const string KeyVar = "HONE_MIGRATE_PULL_KEY";
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    [Fact]
    public async Task Capture_pulls_the_training_file_and_job_from_hone_serve_and_captures_the_fine_tune()
    {
        var dir = TestAssets.NewTempDir();
        using var local = LocalChatClient.Load(Stories, template: "chatml");
        await using var service = FineTuningService.Start(new HoneTuningOptions
        {
            DatabasePath = Path.Combine(dir, "serve.db"), Folder = Path.Combine(dir, "ft"), BaseModelId = local.ModelId, BaseModelPath = Stories,
            Template = "chatml", Threads = 2, LoraRank = 4,
        });
        await using var server = await HoneServer.StartAsync(local, new ServerOptions { Port = 0, ApiKey = Key }, null, service);
        var openai = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(0) });
        var training = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 6).Select(i => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = $"Tell me about friend {i}." }, new { role = "assistant", content = "Lily had a red ball." } },
        }))) + "\n");
        var upload = (await openai.GetOpenAIFileClient().UploadFileAsync(BinaryData.FromBytes(training), "team-train.jsonl", FileUploadPurpose.FineTune)).Value;
        var job = await openai.GetFineTuningClient().FineTuneAsync(server.ModelId, upload.Id, false, new SdkTuningOptions
        {
            TrainingMethod = FineTuningTrainingMethod.CreateSupervised(new HyperparameterBatchSize(2), new HyperparameterEpochCount(1), new HyperparameterLearningRate(5.0)),
            Suffix = "team",
        });
        for (var until = DateTime.UtcNow.AddSeconds(90); job.Status != FineTuningStatus.Succeeded; await Task.Delay(100))
        {
            await job.UpdateStatusAsync();
            Assert.False(job.Status == FineTuningStatus.Failed || job.Status == FineTuningStatus.Cancelled, $"job ended {job.Status}");
            Assert.True(DateTime.UtcNow < until, $"job still {job.Status}");
        }
        var tuned = job.Value!;

        var ws = Path.Combine(dir, "ws");
        Workspace.Init(ws, new WorkspaceConfig
        {
            Providers = new(StringComparer.Ordinal) { ["hosted"] = new ProviderConfig { BaseUrl = new Uri(server.BaseAddress, "v1").ToString(), ApiKeyEnv = KeyVar } },
        });
        Environment.SetEnvironmentVariable(KeyVar, Key);
        var r = CliRunner.Run(ws, "migrate", "capture", "--provider", "hosted", "--model", tuned, "--pull", "--from-files", "--temperature", "0", "--max-tokens", "6", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var pulled = r.Json.GetProperty("pulled");
        var file = pulled.GetProperty("files")[0];
        Assert.Equal((upload.Id, "team-train.jsonl"), (file.GetProperty("id").GetString(), file.GetProperty("file_name").GetString()));
        Assert.Equal(training, File.ReadAllBytes(file.GetProperty("path").GetString()!));
        var pulledJob = pulled.GetProperty("jobs")[0];
        Assert.Equal((job.JobId, tuned, "succeeded"), (pulledJob.GetProperty("id").GetString(), pulledJob.GetProperty("fine_tuned_model").GetString(), pulledJob.GetProperty("status").GetString()));
        Assert.True(pulledJob.GetProperty("events").GetInt32() > 0);
        var saved = JsonNode.Parse(File.ReadAllText(pulledJob.GetProperty("path").GetString()!))!;
        Assert.Equal(upload.Id, (string?)saved["job"]!["training_file"]);
        Assert.Equal(pulledJob.GetProperty("checkpoints").GetInt32(), saved["checkpoints"]!.AsArray().Count);

        // The job's training prompts were the inputs; the fine-tuned model answered each, greedily, as it does when asked directly.
        Assert.Equal(6, r.Json.GetProperty("result").GetProperty("captured").GetInt32());
        var capture = File.ReadAllLines(Path.Combine(ws, "migrate", "capture.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"Tell me about friend {i}.").Order(), capture.Select(c => (string)c["messages"]!.AsArray().Last()!["content"]!).Order());
        var direct = await openai.GetChatClient(tuned).CompleteChatAsync([new OpenAI.Chat.UserChatMessage("Tell me about friend 3.")],
            new OpenAI.Chat.ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 6 });
        Assert.Equal(direct.Value.Content[0].Text, (string)capture.Single(c => ((string)c["messages"]!.AsArray().Last()!["content"]!).EndsWith(" 3.", StringComparison.Ordinal))["reference"]!);
        foreach (var f in Directory.EnumerateFiles(ws, "*", SearchOption.AllDirectories))
            Assert.False(File.ReadAllText(f).Contains(Key, StringComparison.Ordinal), $"the API key is in {f}");
    }
}
