using Hone.Testing;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Tests;

public class DpoTrainerTests
{
    private static PreferencePair Pair(int prompt, int good, int bad) => new(
        new TokenizedExample([prompt, good, 7], [false, true, true]),
        new TokenizedExample([prompt, bad, 7], [false, true, true]));

    private static readonly List<PreferencePair> Pairs = [Pair(0, 1, 2), Pair(3, 4, 5), Pair(6, 2, 1), Pair(1, 3, 6), Pair(2, 5, 4)];

    [Fact]
    public void Dpo_raises_reward_accuracy_to_one_on_a_handful_of_pairs()
    {
        var dir = TestAssets.NewTempDir();
        using var model = new BigramModel(8, 8, seed: 4);
        var options = new DpoOptions { Epochs = 8, BatchSize = 5, LearningRateMultiplier = 250, Dpo = new DpoSettings(Beta: 0.5) };
        var trainer = new DpoTrainer(model, options, Pairs, new RunFolder(dir));
        var history = trainer.Run();
        Assert.True(history[0].RewardAccuracy < 1.0); // at step 1 the policy is the reference: rewards are 0
        Assert.Equal(0.0, history[0].RewardMargin, 6);

        // Measured after training against the stored reference.
        var reference = trainer.ReferenceLogProbs();
        Assert.True(File.Exists(Path.Combine(dir, DpoTrainer.ReferenceFile)));
        var after = new DpoTrainer(model, options, Pairs, new RunFolder(TestAssets.NewTempDir())).ReferenceLogProbs(); // current policy sums
        var pairs = Pairs.Select((_, i) => new DpoPair(after[i].Chosen, after[i].Rejected, reference[i].Chosen, reference[i].Rejected, 2)).ToArray();
        var m = DpoObjective.Compute(pairs, options.Dpo, new double[5], new double[5]);
        Assert.Equal(1.0, m.RewardAccuracy);
        Assert.True(m.Loss < history[0].Loss);
        Assert.True(history[^1].RewardMargin > 0);
    }

    [Fact]
    public void The_reference_and_validation_switch_the_modes_of_any_model_through_its_interface()
    {
        using var model = new BigramModel(8, 8, seed: 4) { HasAdapters = true };
        var options = new DpoOptions { Epochs = 1, BatchSize = 5, MicroBatchPairs = 5, EvalEvery = 1 };
        new DpoTrainer(model, options, Pairs, new RunFolder(TestAssets.NewTempDir()), Pairs).Train();
        // Reference of the training and validation pairs (adapters and dropout off), the step, a validation batch and the
        // epoch-end validation (dropout off); the modes are restored after each.
        Assert.Equal([(false, false), (false, false), (true, true), (true, false), (true, false)], model.ForwardModes);
        Assert.True(model.AdaptersEnabled && model.DropoutEnabled);
    }

    [Fact]
    public void Bad_pairs_and_options_are_named()
    {
        using var model = new BigramModel(8, 8, seed: 4);
        var empty = new PreferencePair(new TokenizedExample([1, 2], [false, true]), new TokenizedExample([1], [false]));
        Assert.Contains("Pair 1", Assert.Throws<TrainingException>(() => new DpoTrainer(model, new DpoOptions(), [empty], new RunFolder(TestAssets.NewTempDir()))).Message, StringComparison.Ordinal);
        Assert.Throws<TrainingException>(() => new DpoTrainer(model, new DpoOptions { Dpo = new DpoSettings(Beta: -1) }, Pairs, new RunFolder(TestAssets.NewTempDir())));
    }
}
