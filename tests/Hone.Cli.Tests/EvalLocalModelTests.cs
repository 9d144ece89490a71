using System.Text.Json;
using Hone.Evals.Providers;
using Hone.Models.Chat;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone eval</c> on real local models (stories260K, context 512): the response cache tells models apart by content,
/// over-long cases never block a run, grader errors exit 1, and <c>eval init</c> writes a spec that runs.
/// </summary>
public sealed class EvalLocalModelTests
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string Workspace(string golden, string? spec = null)
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "evals", "golden.jsonl"), golden);
        File.WriteAllText(Path.Combine(dir, "evals", "story.yaml"), spec ?? """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.a}}"
                operation: eq
            max_tokens: 6
            seed: 1
            """);
        return dir;
    }

    private static string Cases(int n) => string.Join("\n", Enumerable.Range(0, n).Select(i =>
        JsonSerializer.Serialize(new { id = $"c{i}", q = $"Tell me a story about a cat number {i}.", a = "Once" })));

    /// <summary>A copy of stories260K-hf with its tokenizer at DIR/models/NAME/merged; perturbed: embeddings scaled.</summary>
    private static void CopyModel(string dir, string name, bool perturb)
    {
        var target = Path.Combine(dir, "models", name, "merged");
        Directory.CreateDirectory(target);
        var hf = TestAssets.Path("models", "stories260K-hf");
        File.Copy(Path.Combine(hf, "config.json"), Path.Combine(target, "config.json"));
        File.Copy(TestAssets.Path("models", "stories260K", "tok512.bin"), Path.Combine(target, "tokenizer.bin"));
        var bytes = File.ReadAllBytes(Path.Combine(hf, "model.safetensors"));
        if (perturb)
        {
            int start = checked((int)(8 + BitConverter.ToInt64(bytes, 0)));
            for (int i = start; i < start + 512 * 64 * 4; i += 4)
                BitConverter.TryWriteBytes(bytes.AsSpan(i, 4), BitConverter.ToSingle(bytes, i) * 1.5f);
        }
        File.WriteAllBytes(Path.Combine(target, "model.safetensors"), bytes);
    }

    private static JsonElement Run0(CliRunner.Result r) => r.Json.GetProperty("runs")[0];

    [Fact]
    public void Two_models_in_folders_of_the_same_name_never_share_cached_answers()
    {
        var dir = Workspace(Cases(4));
        CopyModel(dir, "a", perturb: false);
        CopyModel(dir, "b", perturb: true);

        var a = CliRunner.Run(dir, "eval", "story", "--model", "local:models/a/merged", "--template", "chatml", "--json");
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Equal(4, Run0(a).GetProperty("model_calls").GetInt64());

        // The issue: 'model calls 0, cache hits 4', the first model's answers scored for the second.
        var b = CliRunner.Run(dir, "eval", "story", "--model", "local:models/b/merged", "--template", "chatml", "--json");
        Assert.True(b.ExitCode == 0, b.Stderr);
        Assert.Equal(4, Run0(b).GetProperty("model_calls").GetInt64());
        Assert.Equal(0, Run0(b).GetProperty("summary").GetProperty("cache_hits").GetInt32());
        var outputsA = File.ReadAllLines(Run0(a).GetProperty("cases_path").GetString()!).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("output").GetString());
        var outputsB = File.ReadAllLines(Run0(b).GetProperty("cases_path").GetString()!).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("output").GetString());
        Assert.NotEqual(outputsA, outputsB); // a different model, different answers

        // The same model again (its hashes remembered): all from the cache. Another template: another model.
        var again = CliRunner.Run(dir, "eval", "story", "--model", "local:models/a/merged", "--template", "chatml", "--json");
        Assert.Equal(0, Run0(again).GetProperty("model_calls").GetInt64());
        Assert.Equal(4, Run0(again).GetProperty("summary").GetProperty("cache_hits").GetInt32());
        var llama2 = CliRunner.Run(dir, "eval", "story", "--model", "local:models/a/merged", "--template", "llama2", "--json");
        Assert.Equal(4, Run0(llama2).GetProperty("model_calls").GetInt64());

        // b's weights copied into a's folder: the remembered hash is of the old file version, so the file is hashed
        // again, and a now is b by content: b's answers, not a's old ones.
        var weights = Path.Combine(dir, "models", "a", "merged", "model.safetensors");
        File.Copy(Path.Combine(dir, "models", "b", "merged", "model.safetensors"), weights, overwrite: true);
        File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddMinutes(1));
        var changed = CliRunner.Run(dir, "eval", "story", "--model", "local:models/a/merged", "--template", "chatml", "--json");
        var outputsChanged = File.ReadAllLines(Run0(changed).GetProperty("cases_path").GetString()!).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("output").GetString());
        Assert.Equal(outputsB, outputsChanged);
    }

    [Fact]
    public void The_overflow_keys_of_evals_and_of_the_local_client_agree()
    {
        Assert.Equal(LocalChatClient.ContextOverflowKey, ContextOverflow.PolicyKey);
        Assert.Equal(LocalChatClient.OverflowTruncateStart, ContextOverflow.TruncateStart);
        Assert.Equal(LocalChatClient.PromptTokensDroppedKey, ContextOverflow.PromptTokensDroppedKey);
        Assert.True(ContextOverflow.IsOverflow(new Hone.Models.ContextOverflowException("too long")));
    }

    [Fact]
    public void An_over_long_case_is_skipped_by_default_and_the_run_can_be_a_baseline_and_compared()
    {
        var longCase = JsonSerializer.Serialize(new
        {
            id = "long",
            q = string.Join(" ", Enumerable.Repeat("Lily went to the park with her dog and they played in the warm sun all day.", 40)),
            a = "Once",
        });
        var dir = Workspace(Cases(3) + "\n" + longCase);
        var model = "local:" + Checkpoint;

        var skip = CliRunner.Run(dir, "eval", "story", "--model", model, "--template", "chatml", "--json");
        Assert.True(skip.ExitCode == 0, skip.Stderr);
        var summary = Run0(skip).GetProperty("summary");
        Assert.Equal("succeeded", Run0(skip).GetProperty("status").GetString());
        Assert.Equal("skip", Run0(skip).GetProperty("on_overflow").GetString());
        Assert.Equal(1, summary.GetProperty("skipped").GetInt32());
        Assert.Equal(3, summary.GetProperty("graded").GetInt32());
        // Every answered output either ended on its own or at the token limit.
        Assert.Equal(3, summary.GetProperty("ended_on_own").GetInt32() + summary.GetProperty("hit_token_limit").GetInt32());
        var lines = File.ReadAllLines(Run0(skip).GetProperty("cases_path").GetString()!).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var skipped = lines.Single(l => l.GetProperty("case_id").GetString() == "long");
        Assert.Equal("skipped", skipped.GetProperty("status").GetString());
        Assert.Contains("context holds 512", skipped.GetProperty("status_detail").GetString(), StringComparison.Ordinal);
        Assert.All(lines.Where(l => l.GetProperty("case_id").GetString() != "long"), l => Assert.Equal("ok", l.GetProperty("status").GetString()));
        var human = CliRunner.Run(dir, "eval", "story", "--model", model, "--template", "chatml");
        Assert.Contains("1 samples skipped", human.Stdout, StringComparison.Ordinal);

        var skipId = Run0(skip).GetProperty("run_id").GetString()!;
        Assert.Equal(0, CliRunner.Run(dir, "eval", "baseline", skipId).ExitCode);

        var truncate = CliRunner.Run(dir, "eval", "story", "--model", model, "--template", "chatml", "--on-overflow", "truncate-start", "--json");
        Assert.True(truncate.ExitCode == 0, truncate.Stderr);
        Assert.Equal(1, Run0(truncate).GetProperty("summary").GetProperty("truncated").GetInt32());
        Assert.Equal(3, Run0(truncate).GetProperty("summary").GetProperty("cache_hits").GetInt32()); // the others are the same requests
        var truncated = File.ReadAllLines(Run0(truncate).GetProperty("cases_path").GetString()!).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("case_id").GetString() == "long");
        Assert.Equal("truncated", truncated.GetProperty("status").GetString());
        Assert.True(truncated.GetProperty("prompt_tokens_dropped").GetInt64() > 0);

        var cmp = CliRunner.Run(dir, "eval", "compare", "baseline", Run0(truncate).GetProperty("run_id").GetString()!, "--json");
        Assert.Equal(0, cmp.ExitCode);
        Assert.Equal(["long"], cmp.Json.GetProperty("not_comparable").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(3, cmp.Json.GetProperty("cases").GetInt32());

        var fail = CliRunner.Run(dir, "eval", "story", "--model", model, "--template", "chatml", "--on-overflow", "fail", "--json");
        Assert.Equal(1, fail.ExitCode);
        Assert.Equal(1, Run0(fail).GetProperty("summary").GetProperty("model_errors").GetInt32());
        Assert.Equal(2, CliRunner.Run(dir, "eval", "story", "--model", model, "--on-overflow", "drop").ExitCode);
    }

    [Fact]
    public void Grader_errors_exit_1_and_are_named_apart_from_failures()
    {
        // The issue: every case hit "item has no field 'reference'", and the run exited 0 with accuracy 0.0%.
        var dir = Workspace(Cases(2), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - type: string_check
                input: "{{sample.output_text}}"
                reference: "{{item.reference}}"
                operation: eq
            max_tokens: 4
            """);
        var r = CliRunner.Run(dir, "eval", "story", "--model", "local:" + Checkpoint, "--template", "chatml", "--json");
        Assert.Equal(1, r.ExitCode);
        var summary = Run0(r).GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("grader_errors").GetInt32());
        Assert.Equal(0, summary.GetProperty("graded").GetInt32());
        var human = CliRunner.Run(dir, "eval", "story", "--model", "local:" + Checkpoint, "--template", "chatml");
        Assert.Equal(1, human.ExitCode);
        Assert.Contains("2 samples got a grader error", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("no field 'reference'", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_init_writes_a_spec_from_chat_examples_that_runs_with_a_per_class_report()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        Assert.True(File.Exists(Path.Combine(dir, "evals", "example.yaml"))); // the commented example of hone init
        var labels = new[] { "World", "Sports" };
        File.WriteAllLines(Path.Combine(dir, "data.jsonl"), Enumerable.Range(0, 6).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[]
            {
                new { role = "system", content = "Classify the headline: World or Sports." },
                new { role = "user", content = $"Headline {i}" },
                new { role = "assistant", content = labels[i % 2] },
            },
        })));
        var init = CliRunner.Run(dir, "eval", "init", "--from", "data.jsonl", "--json");
        Assert.True(init.ExitCode == 0, init.Stderr);
        Assert.Equal("classification", init.Json.GetProperty("grader").GetString());
        Assert.Equal(Path.Combine(dir, "evals", "data.yaml"), init.Json.GetProperty("spec").GetString());
        Assert.Equal(2, CliRunner.Run(dir, "eval", "init", "--from", "data.jsonl").ExitCode); // exists: nothing replaced

        var run = CliRunner.Run(dir, "eval", "data", "--model", "local:" + Checkpoint, "--template", "chatml", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var summary = Run0(run).GetProperty("summary");
        Assert.Equal("label", summary.GetProperty("primary_metric").GetString());
        var cls = Assert.Single(summary.GetProperty("classification").EnumerateArray());
        Assert.Equal(["Sports", "World"], cls.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("label").GetString()));
        Assert.Equal(6, cls.GetProperty("confusion").EnumerateArray().Sum(row => row.EnumerateArray().Sum(x => x.GetInt32())));
        var human = CliRunner.Run(dir, "eval", "data", "--model", "local:" + Checkpoint, "--template", "chatml");
        Assert.Contains("label: per class", human.Stdout, StringComparison.Ordinal);
    }
}
