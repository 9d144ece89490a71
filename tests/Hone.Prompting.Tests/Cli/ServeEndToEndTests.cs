using System.Text.Json;
using Hone.Testing;

namespace Hone.Prompting.Tests.Cli;

/// <summary><c>hone prompt variants</c> against stories260K served by <c>hone serve</c> over HTTP.</summary>
public class ServeEndToEndTests
{
    [Fact]
    public async Task Variants_runs_against_a_model_served_by_hone_serve()
    {
        var stdout = new StringWriter();
        var sync = TextWriter.Synchronized(stdout);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var serve = global::Hone.Cli.HoneApp.RunAsync(["serve", "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml",
            "--port", "0", "--threads", "1", "--max-concurrency", "2", "--json"], sync, TextWriter.Null, TestAssets.NewTempDir(), stop.Token);
        string? url = null, model = null;
        for (int i = 0; i < 600 && url is null && !serve.IsCompleted; i++)
        {
            await Task.Delay(50);
            var text = stdout.ToString();
            if (!text.Contains('}', StringComparison.Ordinal)) continue;
            try
            {
                var json = JsonDocument.Parse(text).RootElement;
                (url, model) = (json.GetProperty("url").GetString(), json.GetProperty("model").GetString());
            }
            catch (JsonException) { } // read while being written: try again
        }
        Assert.NotNull(url);
        try
        {
            var t = new TestFiles();
            Assert.Equal(0, Hone.Run(t.Dir, "init").ExitCode);
            foreach (var f in Directory.GetFiles(Path.Combine(t.Dir, "evals"))) File.Delete(f);
            t.Write("hone.yaml", $"task: stories\nproviders:\n  served: {{base_url: {url}v1}}\n");
            t.Write("evals/golden.jsonl", """
                {"id": "a", "name": "Lily", "answer": "park"}
                {"id": "b", "name": "Tom", "answer": "ball"}
                {"id": "c", "name": "Sue", "answer": "cat"}
                """);
            t.Write("evals/stories.yaml", "golden_set: golden.jsonl\ngraders:\n  - {type: string_check, input: \"{{sample.output_text}}\", reference: \"{{item.answer}}\", operation: like}\n");
            t.Write("prompts/story.yaml", "system: Tell a story.\nuser: \"Once upon a time {{ name }} went to the\"\nsampling: {max_tokens: 8}\n");
            var models = Hone.Run(t.Dir, "prompt", "variants", "story", "--model", "served:" + model, "--only", "step-by-step", "--json");
            Assert.True(models.ExitCode == 0, models.Stderr + models.Stdout);
            var rows = models.Json.GetProperty("result").GetProperty("variants");
            Assert.Equal(2, rows.GetArrayLength());
            Assert.All(rows.EnumerateArray(), v => Assert.Equal(3, v.GetProperty("graded").GetInt32()));
            Assert.True(models.Json.GetProperty("result").GetProperty("spent").GetProperty("calls").GetInt64() >= 9);
            Assert.True(rows[1].GetProperty("output_tokens_per_case").GetDouble() > rows[0].GetProperty("output_tokens_per_case").GetDouble());
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await serve);
        }
    }
}
