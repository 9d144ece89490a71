using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Xunit.Abstractions;

namespace Hone.Training.Tests.Rft;

public class RftTrainerTests(ITestOutputHelper output)
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>Reward 1 when the reply's first word is one of the item's allowed words (a string grader's check).</summary>
    private sealed class FirstWordReward : IRewardFunction
    {
        public string Name => "first_word";

        public int Calls { get; private set; }

        public ValueTask<RewardResult> ScoreAsync(string text, JsonElement item, CancellationToken cancellationToken)
        {
            Calls++;
            if (item.TryGetProperty("fail", out _)) return ValueTask.FromResult(new RewardResult(0, new Dictionary<string, double>(), Error: "reference field missing"));
            var words = item.GetProperty("allowed").EnumerateArray().Select(w => w.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var first = text.Trim().Split([' ', '.', ',', '!', '\n'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            return ValueTask.FromResult(RewardResult.Of(Name, words.Contains(first) ? 1 : 0));
        }
    }

    internal static List<RftPrompt> Prompts(ChatEncoder encoder, IEnumerable<string> questions, string[] allowed, bool fail = false) =>
        questions.Select((q, i) =>
        {
            var item = JsonSerializer.SerializeToElement(fail
                ? new { messages = new[] { new { role = "user", content = q } }, allowed, fail = true } as object
                : new { messages = new[] { new { role = "user", content = q } }, allowed });
            var ids = encoder.Encode([new JsonObject { ["role"] = "user", ["content"] = q }], addGenerationPrompt: true).Ids;
            return new RftPrompt(ids, item, $"train.jsonl:{i + 1}");
        }).ToList();

    private static readonly string[] Allowed = ["Lily", "Tim", "Then", "She", "He", "Sure", "Her", "The"];

    private static readonly string[] Questions = ["Who is in the park?", "Who found the ball?", "Who was sad?", "Who likes the dog?"];

    private static RftTrainer Trainer(string dir, LlamaTrainer engine, ChatEncoder encoder, IRewardFunction reward, RftOptions options,
        List<RftPrompt> train, List<RftPrompt>? valid = null) =>
        new(engine, options, train, valid, reward, new RunFolder(dir), ids => encoder.Tokenizer.Decode(ids), ["<|im_end|>"]);

    private static RftOptions Options => new()
    {
        Epochs = 8, PromptsPerStep = 2, SamplesPerPrompt = 8, MicroBatchSize = 8, MaxTokens = 4, LearningRateMultiplier = 10,
        Temperature = 1, EvalEvery = 0, Seed = 11, Grpo = new GrpoSettings(KlBeta: 0.04),
    };

    [Fact]
    public void Grpo_raises_the_mean_reward_of_a_rarely_met_grader_on_stories260K()
    {
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        using var model = LlamaModel.Load(Stories);
        var train = Prompts(encoder, Questions, Allowed);
        using var engine = new LlamaTrainer(model, 8, RftTrainer.RowLength(train, 4), new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["all-linear"], Seed = 2 });
        var dir = TestAssets.NewTempDir();
        var result = Trainer(dir, engine, encoder, new FirstWordReward(), Options with { KeepCheckpoints = 2 }, train, Prompts(encoder, Questions, Allowed)).Run();
        var rewards = result.History.Select(h => h.RewardMean).ToArray();
        output.WriteLine(string.Join(" ", rewards.Select(r => r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))));
        double first = rewards.Take(3).Average(), last = rewards.TakeLast(3).Average();
        Assert.Equal(16, rewards.Length);
        Assert.True(last >= first + 0.3, $"mean reward {first:0.00} → {last:0.00}");
        Assert.True(result.EpochHistory[^1].MeanReward >= result.EpochHistory[0].MeanReward, "full_valid_mean_reward did not hold");
        Assert.All(result.History, h => Assert.InRange(h.ZeroVarianceShare, 0, 1));
        Assert.Contains(result.History, h => h.Kl > 0);
        Assert.Equal("first_word", Assert.Single(result.History[^1].Components).Key);
        Assert.Equal("step,epoch,train_loss,train_reward_mean,kl,zero_variance_group_share,mean_completion_tokens,valid_reward_mean", File.ReadLines(result.ResultsCsvPath).First());
        // Kept: the best two by full_valid_mean_reward plus the newest.
        Assert.InRange(result.KeptCheckpoints.Count, 2, 3);
        Assert.Contains(result.KeptCheckpoints, c => c.EndsWith("epoch-0008", StringComparison.Ordinal));
    }

    [Fact]
    public void Grader_failures_are_findings_and_the_run_goes_on_or_stops()
    {
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        using var model = LlamaModel.Load(Stories);
        var train = Prompts(encoder, Questions.Take(2), Allowed).Concat(Prompts(encoder, ["Who ran?"], Allowed, fail: true)).ToList();
        using var engine = new LlamaTrainer(model, 8, RftTrainer.RowLength(train, 4), new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["all-linear"] });
        var options = Options with { Epochs = 1, PromptsPerStep = 3, SamplesPerPrompt = 2 };
        var skipped = Trainer(TestAssets.NewTempDir(), engine, encoder, new FirstWordReward(), options, train).Run();
        var finding = Assert.Single(skipped.Findings);
        Assert.Equal("train.jsonl:1", finding.Where); // the failing prompt is the first of its own list
        Assert.Contains("reference field missing", finding.Message, StringComparison.Ordinal);
        Assert.Equal(1, skipped.Steps);

        var e = Assert.Throws<TrainingException>(() =>
            Trainer(TestAssets.NewTempDir(), engine, encoder, new FirstWordReward(), options with { OnGraderError = GraderErrorPolicy.Stop }, train).Run());
        Assert.Contains("reference field missing", e.Message, StringComparison.Ordinal);
        Assert.Throws<TrainingException>(() => (Options with { SamplesPerPrompt = 1 }).Validate());
    }
}
