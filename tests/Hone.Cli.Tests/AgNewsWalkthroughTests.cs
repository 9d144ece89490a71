using System.Net.Http.Json;
using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// The AG News walkthrough of issue 18 end to end, in-process, on stories260K (no chat template of its own, context 512)
/// and a slice of the real data: import → check → split → eval init → baseline eval → LoRA SFT (the template given once)
/// → export merged, GGUF, adapter → eval the exports and serve the merged one with no --template and no --tokenizer,
/// rendering prompts exactly as the run did → compare. No file is edited by hand.
/// </summary>
public class AgNewsWalkthroughTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static CliRunner.Result Ok(string dir, params string[] args)
    {
        var r = CliRunner.Run(dir, args);
        Assert.True(r.ExitCode == 0, $"hone {string.Join(' ', args)} → exit {r.ExitCode}\n{r.Stderr}\n{r.Stdout}");
        return r;
    }

    private static JsonElement EvalRun(string dir, params string[] args) => Ok(dir, ["eval", "ag.test", "--json", .. args]).Json.GetProperty("runs")[0];

    [Fact]
    public async Task Walkthrough_runs_with_the_template_given_once_and_every_export_needs_none()
    {
        var dir = TestAssets.NewTempDir();
        Ok(dir, "init");
        File.WriteAllLines(Path.Combine(dir, "ag.csv"), File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "AG_news_samples.csv")).Take(61));
        Ok(dir, "data", "import", "csv", "ag.csv", "--out", "ag.jsonl", "--system", "Classify the headline: World, Sports, Business or Sci/Tech.",
            "--user-template", "{{title}}\\n{{description}}", "--assistant-column", "label");
        Ok(dir, "data", "check", "ag.jsonl", "--model", Stories, "--template", "plain");
        Ok(dir, "data", "split", "ag.jsonl", "--valid", "0.1", "--test", "0.2", "--stratify", "label", "--seed", "7");
        Ok(dir, "eval", "init", "--from", "ag.test.jsonl");

        // The base has no chat template: the baseline names one, once.
        var baseline = EvalRun(dir, "--model", "local:" + Stories, "--template", "plain");
        Ok(dir, "eval", "baseline", baseline.GetProperty("run_id").GetString()!);
        var train = Ok(dir, "train", "sft", "--model", Stories, "--train", "ag.train.jsonl", "--valid", "ag.valid.jsonl", "--template", "plain",
            "--epochs", "1", "--lr-multiplier", "20", "--threads", "2", "--out", "runs/lora", "--json");
        Assert.Equal(42, train.Json.GetProperty("train_examples").GetInt32());

        var merged = Ok(dir, "export", "runs/lora", "--format", "merged", "--json").Json;
        Assert.Equal("builtin:plain", merged.GetProperty("chat_template").GetString());
        Assert.Contains(merged.GetProperty("usage").EnumerateArray(), u => u.GetProperty("how").GetString()!.StartsWith("hone serve --model ", StringComparison.Ordinal));
        var gguf = Ok(dir, "export", "runs/lora", "--format", "gguf", "--json").Json;
        Assert.StartsWith("FROM ./model-f32.gguf\nTEMPLATE", gguf.GetProperty("ollama_modelfile").GetString(), StringComparison.Ordinal);
        var adapter = Ok(dir, "export", "runs/lora", "--format", "adapter");
        Assert.Contains("--adapter", adapter.Stdout, StringComparison.Ordinal);
        Assert.Contains("PeftModel.from_pretrained", adapter.Stdout, StringComparison.Ordinal);

        // The exports carry the template and the tokenizer: the same prompts, token for token, with neither option.
        var mergedDir = Path.Combine(dir, "runs", "lora", "exports", "merged");
        var tuned = EvalRun(dir, "--model", "local:runs/lora/exports/merged");
        var fromGguf = EvalRun(dir, "--model", "local:runs/lora/exports/model-f32.gguf");
        long Tokens(JsonElement run) => run.GetProperty("summary").GetProperty("input_tokens").GetInt64();
        Assert.Equal(Tokens(baseline), Tokens(tuned));
        Assert.Equal(Tokens(baseline), Tokens(fromGguf));
        Assert.Equal(0, tuned.GetProperty("summary").GetProperty("model_errors").GetInt32());
        var compare = CliRunner.Run(dir, "compare", "baseline", tuned.GetProperty("run_id").GetString()!, "--json");
        Assert.True(compare.ExitCode is 0 or 1, compare.Stderr);
        Assert.Equal(12, compare.Json.GetProperty("cases").GetInt32());

        // Serving the merged export, or the base with the adapter, with no --template answers as the eval did (greedy, the same rendering).
        var first = JsonDocument.Parse(File.ReadLines(tuned.GetProperty("cases_path").GetString()!).First()).RootElement;
        Assert.Equal(first.GetProperty("output").GetString(), await ServeOnce(dir, first.GetProperty("input"), "--model", mergedDir));
        Assert.Equal(first.GetProperty("output").GetString(), await ServeOnce(dir, first.GetProperty("input"), "--model", Stories, "--adapter", "runs/lora/exports/adapter"));
    }

    /// <summary>Starts <c>hone serve ARGS --port 0</c> in-process, sends one greedy chat request, stops it; returns the answer.</summary>
    private static async Task<string?> ServeOnce(string dir, JsonElement messages, params string[] args)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = new StringWriter();
        var synced = TextWriter.Synchronized(stdout);
        var serve = Task.Run(() => HoneApp.RunAsync(["serve", .. args, "--port", "0", "--threads", "1", "--json"], synced, TextWriter.Null, dir, cts.Token));
        string? url = null, model = null;
        while (url is null && !serve.IsCompleted)
        {
            await Task.Delay(50);
            string text;
            lock (synced) text = stdout.ToString();
            if (!text.Contains('}', StringComparison.Ordinal)) continue;
            var started = JsonDocument.Parse(text).RootElement;
            (url, model) = (started.GetProperty("url").GetString(), started.GetProperty("model").GetString());
        }

        Assert.True(url is not null, $"serve exited {(serve.IsCompleted ? await serve : -1)}");
        string? answer;
        using (var http = new HttpClient { BaseAddress = new Uri(url!) })
        {
            var body = new { model, messages, temperature = 0, max_tokens = 16, seed = 1 };
            using var response = await http.PostAsJsonAsync("v1/chat/completions", body);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, json.ToString());
            answer = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        }

        await cts.CancelAsync();
        Assert.Equal(0, await serve);
        return answer;
    }
}
