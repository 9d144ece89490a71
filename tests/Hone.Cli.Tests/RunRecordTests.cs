using System.Text.Json;
using Hone.Store;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// Issue 18 item 10: nothing is registered or written before the inputs are validated; a run whose process died reads
/// as interrupted, resumes, and can be removed with <c>hone runs rm</c>.
/// </summary>
public class RunRecordTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string NewWorkspace()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        return dir;
    }

    private static string WriteChat(string dir, string name, int n)
    {
        string[] answers = ["yes", "no"];
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = answers[i % 2] } },
        })));
        return path;
    }

    private static void BreakLine(string path, int line)
    {
        var lines = File.ReadAllLines(path).ToList();
        lines.Insert(line - 1, "{\"messages\": [oops");
        File.WriteAllLines(path, lines);
    }

    private static JsonElement Runs(string dir)
    {
        var r = CliRunner.Run(dir, "runs", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Json.GetProperty("runs");
    }

    /// <summary>Makes a run look as if its process had been killed: marked running, owned by a process that no longer exists.</summary>
    internal static void Interrupt(string dir, string runId)
    {
        var ws = Workspace.Require(dir);
        using var dead = RunStore.Open(ws.DatabasePath, RunOwner.Current with { ProcessId = int.MaxValue });
        dead.SetStatus(runId, RunStatus.Running);
    }

    [Fact]
    public void Training_with_a_broken_input_registers_no_run_and_writes_no_run_folder()
    {
        var dir = NewWorkspace();
        var good = WriteChat(dir, "train.jsonl", 8);
        BreakLine(WriteChat(dir, "bad.jsonl", 8), 3);
        string[] common = ["--model", Stories, "--template", "chatml", "--epochs", "1", "--lora-rank", "4", "--threads", "1"];

        var sft = CliRunner.Run(dir, ["train", "sft", "--train", "bad.jsonl", .. common]);
        Assert.Equal(2, sft.ExitCode);
        Assert.Contains("bad.jsonl:3", sft.Stderr, StringComparison.Ordinal);
        var sftValid = CliRunner.Run(dir, ["train", "sft", "--train", good, "--valid", "bad.jsonl", .. common]);
        Assert.Equal(2, sftValid.ExitCode);
        // Refused by the trainer's own checks, after the data was read: an example with nothing to train on.
        File.AppendAllText(Path.Combine(dir, "untrainable.jsonl"), File.ReadAllText(good) +
            """{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "weight": 0}]}""" + "\n");
        var untrainable = CliRunner.Run(dir, ["train", "sft", "--train", "untrainable.jsonl", .. common]);
        Assert.Equal(2, untrainable.ExitCode);
        Assert.Contains("no trained tokens", untrainable.Stderr, StringComparison.Ordinal);

        TrainDpoRftTests.WritePairs(dir, "pairs.jsonl");
        File.WriteAllText(Path.Combine(dir, "badpairs.jsonl"), File.ReadAllLines(Path.Combine(dir, "pairs.jsonl"))[0] + "\n{\"input\": 3}\n");
        var dpo = CliRunner.Run(dir, ["train", "dpo", "--pairs", "badpairs.jsonl", .. common]);
        Assert.Equal(2, dpo.ExitCode);

        File.WriteAllText(Path.Combine(dir, "grader.yaml"), "type: string_check\nname: yes\ninput: \"{{ sample.output_text }}\"\nreference: \"yes\"\noperation: ilike\n");
        File.WriteAllText(Path.Combine(dir, "prompts.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Say yes.\"}]}\n{oops\n");
        var rft = CliRunner.Run(dir, ["train", "rft", "--train", "prompts.jsonl", "--valid", "prompts.jsonl", "--grader", "grader.yaml", "--max-tokens", "4", .. common]);
        Assert.Equal(2, rft.ExitCode);
        Assert.Contains("prompts.jsonl:2", rft.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, Runs(dir).GetArrayLength());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir, "runs")));
    }

    private static string WriteEval(string dir, bool brokenGolden = false)
    {
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"),
        [
            JsonSerializer.Serialize(new { id = "a", prompt = "Once upon a time" }),
            brokenGolden ? "{\"id\": \"b\", \"prompt\": " : JsonSerializer.Serialize(new { id = "b", prompt = "The cat" }),
        ]);
        File.WriteAllText(Path.Combine(dir, "evals", "tiny.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.prompt}}"
            graders:
              - type: regex
                name: word
                pattern: "\\b(the|a)\\b"
            temperature: 0
            seed: 1
            max_tokens: 4
            """);
        return "tiny";
    }

    [Fact]
    public void Eval_with_a_broken_golden_set_registers_no_run()
    {
        var dir = NewWorkspace();
        var spec = WriteEval(dir, brokenGolden: true);
        var r = CliRunner.Run(dir, "eval", spec, "--model", "local:" + Stories, "--template", "chatml");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(0, Runs(dir).GetArrayLength());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir, "runs")));
    }

    [Fact]
    public void An_interrupted_training_run_is_listed_as_interrupted_and_train_resume_finishes_it()
    {
        var dir = NewWorkspace();
        WriteChat(dir, "train.jsonl", 8);
        var r = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl",
            "--epochs", "1", "--batch-size", "4", "--lora-rank", "4", "--threads", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var id = r.Json.GetProperty("run").GetString()!;
        Interrupt(dir, id);

        var run = Assert.Single(Runs(dir).EnumerateArray());
        Assert.Equal("interrupted", run.GetProperty("status").GetString());
        var human = CliRunner.Run(dir, "runs");
        Assert.Contains("interrupted", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("hone train resume", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("hone runs rm", human.Stdout, StringComparison.Ordinal);

        var resumed = CliRunner.Run(dir, "train", "resume", id, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(id, resumed.Json.GetProperty("run").GetString());
        Assert.Equal("succeeded", Assert.Single(Runs(dir).EnumerateArray()).GetProperty("status").GetString());
    }

    [Fact]
    public void A_refused_export_makes_no_folder()
    {
        var dir = NewWorkspace();
        WriteChat(dir, "train.jsonl", 8);
        var r = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl",
            "--epochs", "1", "--batch-size", "4", "--lora-rank", "4", "--threads", "1", "--out", "run", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var export = CliRunner.Run(dir, "export", "run", "--format", "gguf", "--out", "exported/model.bin");
        Assert.Equal(2, export.ExitCode);
        Assert.Contains(".gguf", export.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "exported")));
    }

    [Fact]
    public void An_interrupted_eval_run_is_resumed_by_the_same_eval_command()
    {
        var dir = NewWorkspace();
        var spec = WriteEval(dir);
        var first = CliRunner.Run(dir, "eval", spec, "--model", "local:" + Stories, "--template", "chatml", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var id = first.Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
        Interrupt(dir, id);
        Assert.Equal("interrupted", Assert.Single(Runs(dir).EnumerateArray()).GetProperty("status").GetString());

        var again = CliRunner.Run(dir, "eval", spec, "--model", "local:" + Stories, "--template", "chatml", "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        var run = again.Json.GetProperty("runs")[0];
        Assert.Equal(id, run.GetProperty("run_id").GetString());
        Assert.Equal(2, run.GetProperty("reused").GetInt32());
        Assert.Equal("succeeded", Assert.Single(Runs(dir).EnumerateArray()).GetProperty("status").GetString());
    }

    [Fact]
    public void Runs_rm_removes_an_interrupted_run_with_its_folder_and_refuses_live_runs_and_outside_folders()
    {
        var dir = NewWorkspace();
        var ws = Workspace.Require(dir);
        string interrupted, live, outsideRun;
        var folder = Path.Combine(ws.RunsDir, "sft-old");
        var outside = Path.Combine(dir, "elsewhere");
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        Directory.CreateDirectory(outside);
        using (var store = ws.OpenStore())
        {
            live = store.CreateRun("sft", "live", "{}", Path.Combine(ws.RunsDir, "sft-live")).Id; // this process: alive
            outsideRun = store.CreateRun("sft", "outside", "{}", outside).Id;
            store.SetStatus(outsideRun, RunStatus.Failed);
        }
        using (var dead = RunStore.Open(ws.DatabasePath, RunOwner.Current with { ProcessId = int.MaxValue }))
            interrupted = dead.CreateRun("sft", "sft-old", "{}", folder).Id;

        var rm = CliRunner.Run(dir, "runs", "rm", interrupted, "--json");
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.True(rm.Json.GetProperty("folder_removed").GetBoolean());
        Assert.False(Directory.Exists(folder));

        var refused = CliRunner.Run(dir, "runs", "rm", live);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run(dir, "runs", "rm", live, "--force").ExitCode);

        var outsideRefused = CliRunner.Run(dir, "runs", "rm", outsideRun);
        Assert.Equal(2, outsideRefused.ExitCode);
        Assert.Contains("outside", outsideRefused.Stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(outside));
        Assert.Equal(0, CliRunner.Run(dir, "runs", "rm", outsideRun, "--keep-folder").ExitCode);
        Assert.True(Directory.Exists(outside));

        Assert.Equal(0, Runs(dir).GetArrayLength());
        Assert.Equal(2, CliRunner.Run(dir, "runs", "rm", "sft-nope").ExitCode);
    }
}
