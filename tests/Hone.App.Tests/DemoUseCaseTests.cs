using Hone.App.Demo;
using Hone.Data.Samples;
using Hone.Evals.Graders;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Training.Demo;
using Hone.Training.Runs;

namespace Hone.App.Tests;

public class DemoUseCaseTests
{
    [Fact]
    public void A_request_takes_the_defaults_of_its_mode_and_refuses_values_out_of_range()
    {
        var full = new DemoRequest();
        Assert.Equal((400, 120, 30, 25.0), (full.EffectiveExamples, full.GoldenCases, full.EffectiveEpochs, full.EffectiveLrMultiplier));
        var quick = new DemoRequest { Quick = true };
        Assert.Equal((60, 30, 6, 25.0), (quick.EffectiveExamples, quick.GoldenCases, quick.EffectiveEpochs, quick.EffectiveLrMultiplier));
        Assert.Equal(1.0, new DemoRequest { ModelPath = AppTestData.Stories }.EffectiveLrMultiplier);
        Assert.Contains("--examples", Assert.Throws<UseCaseException>(() => new DemoRequest { Examples = 5 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--epochs", Assert.Throws<UseCaseException>(() => new DemoRequest { Epochs = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--threads", Assert.Throws<UseCaseException>(() => new DemoRequest { Threads = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("not found", Assert.Throws<UseCaseException>(() => new DemoRequest { ModelPath = "/no/such/model" }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_base_recipe_takes_the_requests_seed_and_threads_and_is_validated_with_it()
    {
        Assert.Equal(new DemoBaseModelOptions() with { Seed = 3, Threads = 1 }, new DemoRequest { Seed = 3, Threads = 1 }.EffectiveBaseOptions);
        Assert.Equal(DemoBaseModelOptions.Quick with { Seed = 2, Threads = 2 }, new DemoRequest { Quick = true, Seed = 2, Threads = 2 }.EffectiveBaseOptions);
        var custom = new DemoRequest { Seed = 5, Threads = 1, BaseOptions = DemoBaseModelOptions.Quick with { DataParallel = 1, Seed = 9, Threads = 7 } };
        Assert.Equal(DemoBaseModelOptions.Quick with { DataParallel = 1, Seed = 5, Threads = 1 }, custom.EffectiveBaseOptions);
        custom.Validate();
        Assert.Contains("shards 0", Assert.Throws<UseCaseException>(() => new DemoRequest { BaseOptions = new DemoBaseModelOptions { DataParallel = 0 } }.Validate()).Message,
            StringComparison.Ordinal);
        Assert.Contains("built-in model only", Assert.Throws<UseCaseException>(() =>
            new DemoRequest { ModelPath = AppTestData.Stories, BaseOptions = new DemoBaseModelOptions() }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_spec_grades_every_field_and_the_headline_needs_all_five()
    {
        var ws = AppTestData.NewWorkspace("demospec");
        var c = OrderExtractionTask.Generate(1, 3)[0];
        var golden = Path.Combine(ws.DataDir, "golden.jsonl");
        File.WriteAllText(golden, System.Text.Json.JsonSerializer.Serialize(new
        {
            id = "g0", messages = new[] { new { role = "user", content = c.Sentence } }, reference = System.Text.Json.JsonDocument.Parse(c.AnswerJson).RootElement,
        }) + "\n");
        var spec = EvalSpec.Load(DemoGoldenEval.WriteSpec(ws, golden));
        Assert.Equal(DemoGoldenEval.Headline, spec.PrimaryMetric);
        Assert.Equal(1 + OrderExtractionTask.Fields.Count, spec.Graders.Count);
        var item = GoldenSet.Load(spec.GoldenSetPath)[0].Item;
        async Task<Dictionary<string, GradeResult>> Grade(string output)
        {
            var results = new Dictionary<string, GradeResult>(StringComparer.Ordinal);
            foreach (var g in spec.Graders) results[g.Name] = await g.GradeAsync(new GradeContext(item, new GradeSample(output)), CancellationToken.None);
            return results;
        }
        Assert.All((await Grade(c.AnswerJson)).Values, r => Assert.True(r.Pass, r.Grader));
        var wrongCity = await Grade(c.AnswerJson.Replace(c.City, "Nowhere", StringComparison.Ordinal));
        Assert.False(wrongCity[DemoGoldenEval.Headline].Pass);
        Assert.Equal(0, wrongCity[DemoGoldenEval.FieldGrader("city")].Score);
        Assert.Equal(1, wrongCity[DemoGoldenEval.FieldGrader("name")].Score);
    }

    [Fact]
    public void A_score_counts_exact_matches_fields_and_json_and_side_by_side_shows_fixed_then_broken()
    {
        static DemoCase Case(bool pass, double city, string output) =>
            new("s", "{}", output, pass, OrderExtractionTask.Fields.ToDictionary(f => f, f => f == "city" ? city : 1.0));
        var before = DemoGoldenEval.Summarise("b", [Case(true, 1, "{}"), Case(false, 0, "no json"), Case(false, 0, "{}"), Case(true, 1, "[1]")], 1);
        var after = DemoGoldenEval.Summarise("a", [Case(false, 0, "{}"), Case(true, 1, "{}"), Case(true, 1, "{}"), Case(true, 1, "{}")], 1);
        Assert.Equal((2, 0.5, 0.5), (before.Passed, before.Accuracy, before.ValidJson));
        Assert.Equal(0.5, before.Fields["city"]);
        Assert.Equal((4 + 0.5) / 5, before.FieldMean, 12);
        Assert.True(before.Ci95[0] < 0.5 && 0.5 < before.Ci95[1]);
        Assert.Equal([1, 2, 0], DemoGoldenEval.SideBySide(before, after, 3));
        Assert.Equal(4, AppTestData.Json(before).GetProperty("cases").GetInt32());
    }

    [Fact]
    public async Task The_quick_demo_reports_its_steps_in_order_and_measures_both_models_with_eval_runs()
    {
        var observer = new Recorder();
        var dir = Path.Combine(Hone.Testing.TestAssets.NewTempDir(), "demo");
        var r = await DemoLoop.RunAsync(new DemoRequest { Quick = true, Examples = 20, Epochs = 2, Threads = 2, Folder = dir }, observer);

        Assert.Equal([typeof(DemoStarted), typeof(DemoTaskGenerated), typeof(DemoPlantedChecked), typeof(DemoCleanChecked), typeof(DemoSplitDone),
            typeof(DemoBaseModelReady), typeof(DemoScored), typeof(DemoPromptVariantsDone), typeof(DemoFineTuned), typeof(DemoScored), typeof(DemoScaled)],
            observer.Events.Select(e => e.GetType()));
        Assert.Equal(["pretraining the base model", "base model on the golden set", "LoRA fine-tune", "tuned model on the golden set",
            "scaling: half the data (all of it is the fine-tune above)"], observer.Phases);
        Assert.True(r.Completed);
        using var store = Hone.Store.Workspace.Require(dir).OpenStore();
        foreach (var score in new[] { r.Before!, r.After! })
        {
            Assert.Equal(30, score.Cases);
            var run = store.GetRun(score.EvalRun);
            Assert.Equal(EvalRunner.Kind, run.Kind);
            Assert.Equal(Hone.Store.RunStatus.Succeeded, run.Status);
        }
        Assert.Equal(r.After!.Accuracy - r.Before!.Accuracy, r.Improvement);
        Assert.Equal(3, r.Examples!.Count);

        // Both checkpoints were scored on the golden set; the best (ties: the newest) was exported by default and is the
        // tuned model measured after: the same accuracy.
        var tune = r.FineTune!;
        Assert.Equal([1, 2], tune.GoldenScores.Select(g => g.Epoch));
        var top = tune.GoldenScores.Max(g => g.Accuracy);
        var best = tune.GoldenScores.Last(g => g.Accuracy == top).Epoch;
        Assert.Equal(best, tune.Best!.Epoch);
        Assert.Equal((best, "best by golden_accuracy"), (tune.Export!.Epoch, tune.Export.ChosenBy));
        Assert.True(File.Exists(Path.Combine(tune.Export.Path, "adapter_config.json")));
        Assert.Equal(top, r.After.Accuracy, 12);
        Assert.Contains(tune.Diagnosis, d => d.Kind == "BestCheckpoint");

        // The scaling step trained only the half: its "all" rung is the fine-tune (all of the training split), its final checkpoint.
        var rungs = r.Scaling!.Rungs;
        Assert.Equal((tune.TrainExamples / 2, tune.TrainExamples), (rungs[0].Size, rungs[1].Size));
        Assert.Equal(tune.GoldenScores[^1].Accuracy, rungs[1].Accuracy, 12);
        Assert.Equal(tune.Seconds, rungs[1].TrainSeconds);
        Assert.Equal(rungs[1].Accuracy - rungs[0].Accuracy, r.Scaling.GainPerDoubling, 12);
    }

    [Fact]
    public async Task One_thread_and_two_train_and_measure_the_same_models_the_shards_fix_the_arithmetic()
    {
        async Task<(DemoResult Result, Recorder Observer)> Demo(int threads)
        {
            var observer = new Recorder();
            var dir = Path.Combine(Hone.Testing.TestAssets.NewTempDir(), "demo");
            return (await DemoLoop.RunAsync(new DemoRequest { Quick = true, Examples = 20, Epochs = 2, Threads = threads, Folder = dir }, observer), observer);
        }

        var (one, oneObserver) = await Demo(1);
        var (two, twoObserver) = await Demo(2);
        Assert.Equal(oneObserver.Phases, twoObserver.Phases);
        Assert.Equal(one.BaseModel!.PretrainLossFinal, two.BaseModel!.PretrainLossFinal);
        static string Csv(string folder) => File.ReadAllText(Path.Combine(folder, "results.csv"));
        Assert.Equal(Csv(one.FineTune!.Folder), Csv(two.FineTune!.Folder));
        Assert.Equal(Csv(Path.Combine(one.Scaling!.Folder, "rung-000008")), Csv(Path.Combine(two.Scaling!.Folder, "rung-000008")));
        Assert.Equal(one.Scaling.Rungs.Select(x => (x.Size, x.Accuracy)), two.Scaling.Rungs.Select(x => (x.Size, x.Accuracy)));
        Assert.Equal((one.Before!.Accuracy, one.After!.Accuracy), (two.Before!.Accuracy, two.After!.Accuracy));
        Assert.All(two.Scaling.Rungs, x => Assert.False(x.Reused));
    }

    private sealed class Recorder : IDemoObserver
    {
        public List<DemoEvent> Events { get; } = [];

        public List<string> Phases { get; } = [];

        public void Report(DemoEvent e) => Events.Add(e);

        public T Train<T>(string what, Func<IProgress<TrainingProgress>, T> work)
        {
            Phases.Add(what);
            return work(new Progress<TrainingProgress>());
        }

        public Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work)
        {
            Phases.Add(what);
            return work(null);
        }
    }
}
