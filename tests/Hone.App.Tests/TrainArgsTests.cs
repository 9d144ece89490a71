using Hone.App.Migrate;
using Hone.App.Models;
using Hone.App.Training;
using Hone.Core;
using Hone.Training.Batching;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Sft;

namespace Hone.App.Tests;

/// <summary>The training commands' records read their texts once into the requests the use cases run.</summary>
public class TrainArgsTests
{
    private static LocalTrainArgs Common(string method = "lora", string epochs = "auto", string batch = "auto") => new()
    {
        Model = new LocalModel("/m", "/m/tok.model", "chatml"), Place = new TrainPlace("/w", "out"), Method = method, Epochs = epochs, BatchSize = batch,
        LrMultiplier = 3, Seed = (1L << 40) + 7, EvalEvery = 5, Threads = 2, OnOverflow = "truncate",
        Lora = new LoraArgs(4, 8, " q_proj, v_proj ,", "lm_head", 0.1f), EvalSpec = "golden",
    };

    [Fact]
    public void Sft_args_become_the_sft_request_with_every_setting_carried()
    {
        var defaults = new WorkspaceTrainDefaults(true, false, true);
        var r = new TrainSftArgs(Common("full", "3", "2"), "/t.jsonl") { ValidFile = "/v.jsonl", Packing = true, Defaults = defaults }.ToRequest();

        Assert.Equal(("/m", "/m/tok.model", "chatml", "/t.jsonl", "/v.jsonl"), (r.Options.ModelPath, r.Options.TokenizerPath, r.Options.Template, r.Options.TrainFile, r.Options.ValidFile));
        Assert.Equal((2, OverflowPolicy.Truncate), (r.Options.Threads, r.Options.OnOverflow));
        var t = r.Options.Trainer;
        Assert.Equal((TrainingMethod.Full, (int?)3, (int?)2, 3.0, (1L << 40) + 7, 5, true, false),
            (t.Method, t.Epochs, t.BatchSize, t.LearningRateMultiplier, t.Seed, t.EvalEvery, t.Packing, t.TrainOnInputs));
        Assert.Equal(new[] { "q_proj", "v_proj" }, r.Options.Lora.TargetModules);
        Assert.Equal(new[] { "lm_head" }, r.Options.Lora.ModulesToSave);
        Assert.Equal((4, 8f, 0.1f, 7), (r.Options.Lora.Rank, r.Options.Lora.Alpha, r.Options.Lora.Dropout, r.Options.Lora.Seed)); // the LoRA seed: the run's, masked to an int
        Assert.Equal((new TrainPlace("/w", "out"), "golden", defaults), (r.Place, r.EvalSpec, r.Defaults));
    }

    [Fact]
    public void The_base_dtype_and_recomputation_reach_every_local_run()
    {
        var common = Common() with { Recompute = true, Lora = new LoraArgs(BaseDType: "bf16") };
        var sft = new TrainSftArgs(common, "/t.jsonl").ToRequest().Options;
        var dpo = new TrainDpoArgs(common, "/p.jsonl").ToRequest().Options;
        var rft = new TrainRftArgs(common, "/t.jsonl", "/v.jsonl", "/g.yaml").ToRequest().Options;
        foreach (var o in new Hone.Training.Runs.RunOptions[] { sft, dpo, rft })
        {
            Assert.True(o.Recompute);
            Assert.Equal(Hone.Models.Train.LoraBaseType.BF16, o.Lora.BaseType);
        }

        Assert.Equal(Hone.Models.Train.LoraBaseType.F32, new TrainSftArgs(Common(), "/t.jsonl").ToRequest().Options.Lora.BaseType);
        Assert.False(new TrainSftArgs(Common(), "/t.jsonl").ToRequest().Options.Recompute);
        var e = Assert.Throws<UseCaseException>(() => new TrainSftArgs(Common() with { Lora = new LoraArgs(BaseDType: "fp8") }, "/t.jsonl").ToRequest());
        Assert.Contains("--base-dtype", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trainable_tokens_are_read_as_ids_in_order_and_text_is_refused_naming_the_option()
    {
        var o = new TrainSftArgs(Common() with { Lora = new LoraArgs(TrainableTokens: " 128009, 5 ,,7") }, "/t.jsonl").ToRequest().Options;
        Assert.Equal([128009, 5, 7], o.Lora.TrainableTokenIndices);
        Assert.Empty(new TrainSftArgs(Common(), "/t.jsonl").ToRequest().Options.Lora.TrainableTokenIndices);
        foreach (var bad in new[] { "eos", "-1", "3.5" })
        {
            var e = Assert.Throws<UseCaseException>(() => new TrainSftArgs(Common() with { Lora = new LoraArgs(TrainableTokens: bad) }, "/t.jsonl").ToRequest());
            Assert.Contains("--trainable-tokens", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Dpo_args_read_beta_and_loss_and_add_an_sft_stage_only_when_its_epochs_are_given()
    {
        var one = new TrainDpoArgs(Common(), "/p.jsonl") { Beta = "0.25", Loss = "ipo", SftWeight = 0.5 }.ToRequest();
        Assert.Equal(new DpoSettings(0.25, DpoLossKind.Ipo, 0.5), one.Options.Trainer.Dpo);
        Assert.Null(one.Options.SftStage);
        Assert.Equal((TrainingMethod.Lora, (int?)null, (int?)null), (one.Options.Trainer.Method, one.Options.Trainer.Epochs, one.Options.Trainer.BatchSize));

        var two = new TrainDpoArgs(Common(batch: "4"), "/p.jsonl") { SftEpochs = "2" }.ToRequest();
        Assert.Equal(DpoSettings.DefaultBeta, two.Options.Trainer.Dpo.Beta);
        Assert.Equal(DpoLossKind.Sigmoid, two.Options.Trainer.Dpo.Loss);
        Assert.Equal(((int?)2, (int?)4, 3.0), (two.Options.SftStage!.Epochs, two.Options.SftStage.BatchSize, two.Options.SftStage.LearningRateMultiplier));
    }

    [Fact]
    public void Rft_args_carry_the_sampling_settings_and_the_grader_error_policy()
    {
        var r = new TrainRftArgs(Common(), "/t.jsonl", "/v.jsonl", "/g.yaml") { SamplesPerPrompt = 4, PromptsPerStep = 3, Kl = 0.1, Temperature = 0.7f, MaxTokens = 32, OnGraderError = "stop" }.ToRequest();
        var t = r.Options.Trainer;
        Assert.Equal((4, 3, 0.1, 0.7f, 32, GraderErrorPolicy.Stop), (t.SamplesPerPrompt, t.PromptsPerStep, t.Grpo.KlBeta, t.Temperature, t.MaxTokens, t.OnGraderError));
        Assert.Equal(new RftOptions().Grpo.ClipEpsilon, t.Grpo.ClipEpsilon);
        Assert.Equal("/g.yaml", r.Options.GraderFile);
    }

    [Theory]
    [InlineData("0", "--epochs")]
    [InlineData("-1", "--epochs")]
    [InlineData("two", "--batch-size")]
    public void A_count_that_is_not_auto_or_at_least_one_is_an_input_error_naming_the_option(string text, string option)
    {
        var e = Assert.Throws<UseCaseException>(() => TrainText.AutoCount(text, option));
        Assert.Equal(ErrorKind.Input, e.Kind);
        Assert.StartsWith($"{option} '{text}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_texts_are_input_errors_before_anything_runs()
    {
        Assert.Throws<UseCaseException>(() => new TrainSftArgs(Common("half"), "/t.jsonl").ToRequest());
        Assert.Throws<UseCaseException>(() => new TrainDpoArgs(Common(), "/p.jsonl") { Beta = "0" }.ToRequest());
        Assert.Throws<UseCaseException>(() => new TrainDpoArgs(Common(), "/p.jsonl") { Loss = "cross" }.ToRequest());
        Assert.Throws<UseCaseException>(() => new TrainDpoArgs(Common(), "/p.jsonl") { SftEpochs = "x" }.ToRequest());
        Assert.Throws<UseCaseException>(() => new TrainRftArgs(Common(), "/t", "/v", "/g") { OnGraderError = "retry" }.ToRequest());
    }

    [Fact]
    public void Migrate_run_args_give_the_budget_in_seconds_and_read_the_method()
    {
        var place = new MigratePlace("/w");
        var r = new MigrateRunArgs(place) { Method = "lora", BudgetMinutes = 1.5, Epochs = 2, Dpo = true }.ToRequest();
        Assert.Equal((place, TrainingMethod.Lora, 90.0, (int?)2, true), (r.Place, r.Options.Method, r.Options.BudgetSeconds, r.Options.Epochs, r.Options.Dpo));
        Assert.Equal(TrainingMethod.Full, new MigrateRunArgs(place).ToRequest().Options.Method);
        Assert.Throws<UseCaseException>(() => new MigrateRunArgs(place) { Method = "qlora" }.ToRequest());
    }
}
