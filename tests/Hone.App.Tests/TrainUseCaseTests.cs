using Hone.App.Training;
using Hone.Models.Train;
using Hone.Training.Sft;

namespace Hone.App.Tests;

public class TrainUseCaseTests
{
    [Fact]
    public void Sft_runs_in_the_workspace_records_the_run_and_its_response_has_the_cli_field_names()
    {
        var ws = AppTestData.NewWorkspace("sft");
        var options = new SftRunOptions
        {
            ModelPath = AppTestData.Stories,
            TokenizerPath = AppTestData.StoriesTokenizer,
            Template = "chatml",
            TrainFile = AppTestData.WriteChats(ws.Root, "train.jsonl", 12, 0),
            ValidFile = AppTestData.WriteChats(ws.Root, "valid.jsonl", 4, 100),
            Threads = 1,
            Trainer = new SftOptions { Method = TrainingMethod.Lora, Epochs = 2, BatchSize = 4, LearningRateMultiplier = 10, Seed = 1 },
            Lora = new LoraOptions { Rank = 4, Alpha = 8 },
        };
        var r = TrainSft.Run(new TrainSftRequest(options, new TrainPlace(ws.Root)), null, null, CancellationToken.None);

        Assert.Equal(6, r.Steps); // 12 examples / batch 4 × 2 epochs
        Assert.Equal(ws.RunsDir, Path.GetDirectoryName(r.Folder));
        Assert.StartsWith("sft-", Path.GetFileName(r.Folder), StringComparison.Ordinal);
        Assert.True(File.Exists(r.ResultsCsv));
        Assert.Equal(2, r.EpochsMetrics.Count);
        using (var store = ws.OpenStore())
            Assert.Equal(r.Folder, store.GetRun(r.Run!).Folder);

        var json = AppTestData.Json(r);
        foreach (var key in new[] { "run", "folder", "batch_size", "learning_rate", "train_examples", "results_csv", "epochs_metrics", "diagnosis", "final" })
            Assert.True(json.TryGetProperty(key, out _), key);
        Assert.False(json.TryGetProperty("detail", out _));

        // The same folder resumes as an SFT run (nothing left to train).
        var again = TrainResume.Run(new TrainResumeRequest(r.Folder, ws.Root), null, null, CancellationToken.None);
        var sft = Assert.IsType<TrainSftResponse>(again);
        Assert.Equal(2, sft.ResumedFromEpoch);
    }

    [Fact]
    public void A_run_folder_is_out_when_given_else_in_the_workspace_else_an_error()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hone-app-place");
        Assert.Equal(Path.Combine(dir, "x"), new TrainPlace(dir, "x").NewRunFolder(null, "dpo"));
        var ws = AppTestData.NewWorkspace("place");
        var folder = new TrainPlace(ws.Root).NewRunFolder(ws, "dpo");
        Assert.Equal(ws.RunsDir, Path.GetDirectoryName(folder));
        Assert.StartsWith("dpo-", Path.GetFileName(folder), StringComparison.Ordinal);
        var e = Assert.Throws<UseCaseException>(() => new TrainPlace(dir).NewRunFolder(null, "sft"));
        Assert.Contains("--out", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_refuses_what_is_not_a_run_and_a_kind_it_does_not_know()
    {
        var ws = AppTestData.NewWorkspace("resume");
        var e = Assert.Throws<UseCaseException>(() => TrainResume.Run(new TrainResumeRequest("nope", ws.Root), null, null, CancellationToken.None));
        Assert.Contains("neither a run folder nor a run id", e.Message, StringComparison.Ordinal);
        var empty = Directory.CreateDirectory(Path.Combine(ws.Root, "empty")).FullName;
        Assert.Contains("not a Hone training run folder",
            Assert.Throws<UseCaseException>(() => TrainResume.Run(new TrainResumeRequest("empty", ws.Root), null, null, CancellationToken.None)).Message,
            StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(empty, "run.json"), """{"kind": "kto"}""");
        Assert.Equal("kto", TrainResume.RunKind(empty));
        Assert.Contains("'kto'", Assert.Throws<UseCaseException>(() => TrainResume.Run(new TrainResumeRequest(empty, ws.Root), null, null, CancellationToken.None)).Message,
            StringComparison.Ordinal);
    }
}
