using System.Text.Json;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training.Analysis;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Runs;

namespace Hone.Training.Tests.Rft;

public class RftRunTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>Reward 1 when the reply mentions the item's <c>word</c> (case-insensitive).</summary>
    private sealed class MentionsReward : IRewardFunction
    {
        public string Name => "mentions";

        public ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken) =>
            ValueTask.FromResult(RewardResult.Of(Name, output.Contains(item.GetProperty("word").GetString()!, StringComparison.OrdinalIgnoreCase) ? 1 : 0));
    }

    private static string Write(string dir, string name, params string[] lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Line(string question) =>
        JsonSerializer.Serialize(new { messages = new[] { new { role = "system", content = "Answer briefly." }, new { role = "user", content = question } }, word = "the" });

    [Fact]
    public void Prompt_file_renders_the_generation_prompt_keeps_item_fields_and_reports_bad_lines()
    {
        var dir = TestAssets.NewTempDir();
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        var path = Write(dir, "p.jsonl", Line("Who ran?"), "", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}",
            "{\"messages\": 3}", "not json", "{\"messages\": []}");
        var (prompts, findings) = RftPromptData.Read(path, encoder);
        var p = Assert.Single(prompts);
        Assert.Equal(path + ":1", p.Where);
        Assert.Equal("the", p.Item.GetProperty("word").GetString());
        var text = encoder.Tokenizer.Decode(p.PromptIds);
        Assert.EndsWith("<|im_start|>assistant\n", text, StringComparison.Ordinal);
        Assert.Contains("Answer briefly.", text, StringComparison.Ordinal);
        Assert.Equal([path + ":3", path + ":4", path + ":5", path + ":6"], findings.Select(f => f.Where));
        Assert.Contains("user turn", findings[0].Message, StringComparison.Ordinal);
        var e = Assert.Throws<TrainingException>(() => RftPromptData.ReadOrThrow(path, encoder));
        Assert.Contains("4 bad line(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_end_of_turn_warning_is_left_out_when_that_tokens_rows_train()
    {
        var dir = TestAssets.NewTempDir();
        var options = new RftRunOptions
        {
            ModelPath = Stories, Template = "plain", TrainFile = Write(dir, "train.jsonl", Line("Who ran?")), GraderFile = Write(dir, "grader.yaml", "type: whatever"),
            Threads = 1, Trainer = new RftOptions { Epochs = 1, PromptsPerStep = 1, SamplesPerPrompt = 2, MicroBatchSize = 2, MaxTokens = 3 },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["all-linear"] },
        };
        var id = EndOfTurnCheck.TemplateEndOfTurnId(ChatEncoder.Load(Stories, null, "plain"));
        Assert.NotNull(id);
        List<string> Warnings(RftRunOptions o)
        {
            var warnings = new List<string>();
            RftRun.Plan(o, _ => new MentionsReward(), warnings.Add);
            return warnings;
        }

        Assert.Contains(Warnings(options), w => w.Contains("end-of-turn", StringComparison.Ordinal) && w.Contains($"--trainable-tokens {id}", StringComparison.Ordinal));
        Assert.DoesNotContain(Warnings(options with { Lora = options.Lora with { TrainableTokenIndices = [id.Value] } }), w => w.Contains("end-of-turn", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cancelled_run_resumes_from_its_checkpoint_with_the_manifest_options()
    {
        var dir = TestAssets.NewTempDir();
        var train = Write(dir, "train.jsonl", Line("Who ran?"), Line("Who is sad?"));
        var valid = Write(dir, "valid.jsonl", Line("Who sang?"));
        var grader = Write(dir, "grader.yaml", "type: whatever");
        var options = new RftRunOptions
        {
            ModelPath = Stories, Template = "chatml", TrainFile = train, ValidFile = valid, GraderFile = grader, Threads = 2,
            Trainer = new RftOptions
            {
                Epochs = 3, PromptsPerStep = 1, SamplesPerPrompt = 2, MicroBatchSize = 4, MaxTokens = 3, EvalEvery = 1, Seed = 5,
                Grpo = new GrpoSettings(KlBeta: 0.04),
            },
            Lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["all-linear"] },
        };
        var loaded = new List<string>();
        IRewardFunction Load(string path) { loaded.Add(path); return new MentionsReward(); }
        var runFolder = Path.Combine(dir, "run");
        using var cts = new CancellationTokenSource();
        var names = new HashSet<string>();
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == "train") names.Add(p.AccuracyName);
            if (p.Epoch == 2) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => RftRun.Start(options, Load, runFolder, null, progress, cts.Token));
        Assert.Equal(["reward"], names); // the progress line calls the mean reward a reward, not an accuracy
        Assert.Equal([grader], loaded);
        Assert.Throws<TrainingException>(() => RftRun.Start(options, Load, runFolder)); // not empty

        var resumed = RftRun.Resume(runFolder, Load);
        Assert.Equal([grader, grader], loaded);
        Assert.Equal(1, resumed.Result.ResumedFromEpoch);
        Assert.Equal(6, resumed.Result.Steps);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), resumed.Result.History.Select(h => h.Step));
        Assert.Equal([1, 2, 3], resumed.Result.EpochHistory.Select(e => e.Epoch));
        Assert.Equal((2, 1), (resumed.TrainPrompts, resumed.ValidPrompts));
        Assert.Equal("mentions", resumed.RewardName);
        Assert.Equal(7, File.ReadAllLines(resumed.Result.ResultsCsvPath).Length);
        Assert.Throws<TrainingException>(() => RftRun.Resume(dir, Load)); // no manifest
    }

    private sealed class SyncProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
