using Hone.Training.Dpo;
using Hone.Training.Loop;
using Hone.Training.Optim;
using Hone.Training.Rft;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>
/// The trainers' options share one base record; each still writes, key for key, the JSON its record wrote before the
/// base existed (the expected texts were printed by that code), so run manifests read back and checkpoint option hashes
/// of earlier runs still match.
/// </summary>
public class TrainerOptionsTests
{
    [Fact]
    public void Each_trainer_writes_the_json_it_wrote_before_the_shared_base()
    {
        Assert.Equal(SFT, new SftOptions().ToJson());
        Assert.Equal(DPO, new DpoOptions().ToJson());
        Assert.Equal(RFT, new RftOptions().ToJson());
    }

    [Fact]
    public void Defaults_schedules_and_optimiser_settings_follow_the_trainer()
    {
        Assert.Equal(5, new RftOptions().EvalEvery);
        Assert.Equal(10, new SftOptions().EvalEvery);
        Assert.Equal(5, (new RftOptions() with { Seed = 3 }).EvalEvery);
        var rft = new RftOptions { LearningRateMultiplier = 2 };
        Assert.Equal(rft.LearningRate, rft.Schedule(10).RateAt(1)); // constant: no warm-up, no decay
        Assert.Equal(rft.LearningRate, rft.Schedule(10).RateAt(10));
        Assert.Equal(0, rft.Optimizer.WeightDecay);
        var sft = new SftOptions { WarmupRatio = 0.25, WeightDecay = 0.01, Decay = DecayKind.Linear };
        Assert.Equal(new LearningRateSchedule(sft.LearningRate, 8, 2, DecayKind.Linear), sft.Schedule(8));
        Assert.Equal(0.01, sft.Optimizer.WeightDecay);
        Assert.Equal(3, new DpoOptions { BatchSize = 5 }.ResolveBatchSize(3));
        Assert.Equal(2, new DpoOptions().ResolveBatchSize(40)); // auto: 40 / 16
    }

    [Fact]
    public void Validation_names_the_trainer_and_round_trips_keep_the_derived_type()
    {
        Assert.StartsWith("RFT option --epochs", Assert.Throws<TrainingException>(() => new RftOptions { Epochs = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.StartsWith("DPO option --batch-size", Assert.Throws<TrainingException>(() => new DpoOptions { BatchSize = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.StartsWith("SFT option --micro-batch-size", Assert.Throws<TrainingException>(() => new SftOptions { MicroBatchSize = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("hone train rft --help", Assert.Throws<TrainingException>(() => RftOptions.FromJson("{\"warmup_ratio\": 0.1}")).Message, StringComparison.Ordinal);
        var rft = new RftOptions { Epochs = 2, SamplesPerPrompt = 4, Method = TrainingMethod.Full };
        Assert.Equal(rft, RftOptions.FromJson(rft.ToJson()));
        TrainerOptions any = new DpoOptions { MicroBatchPairs = 3 };
        Assert.Contains("micro_batch_pairs", any.ToJson(), StringComparison.Ordinal);
    }

    private const string SFT = """
        {
          "method": "lora",
          "epochs": null,
          "batch_size": null,
          "micro_batch_size": 4,
          "learning_rate_multiplier": 1,
          "warmup_ratio": 0.03,
          "decay": "cosine",
          "weight_decay": 0,
          "max_grad_norm": 1,
          "seed": 42,
          "eval_every": 10,
          "packing": false,
          "sequence_length": null,
          "train_on_inputs": false,
          "pad_id": 0,
          "keep_checkpoints": 3
        }
        """;

    private const string DPO = """
        {
          "method": "lora",
          "epochs": null,
          "batch_size": null,
          "micro_batch_pairs": 2,
          "learning_rate_multiplier": 1,
          "dpo": {
            "beta": 0.1,
            "loss": "sigmoid",
            "sft_weight": 0
          },
          "warmup_ratio": 0.03,
          "decay": "cosine",
          "weight_decay": 0,
          "max_grad_norm": 1,
          "seed": 42,
          "eval_every": 10,
          "pad_id": 0,
          "keep_checkpoints": 3
        }
        """;

    private const string RFT = """
        {
          "method": "lora",
          "epochs": null,
          "prompts_per_step": 2,
          "samples_per_prompt": 8,
          "micro_batch_size": 8,
          "learning_rate_multiplier": 1,
          "grpo": {
            "clip_epsilon": 0.2,
            "kl_beta": 0.04,
            "advantage_epsilon": 0.0001
          },
          "temperature": 1,
          "max_tokens": 64,
          "on_grader_error": "skip",
          "max_grad_norm": 1,
          "seed": 42,
          "eval_every": 5,
          "keep_checkpoints": 3
        }
        """;
}
