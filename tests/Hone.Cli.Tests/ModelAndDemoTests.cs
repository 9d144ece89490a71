using Hone.Testing;

namespace Hone.Cli.Tests;

public class ModelAndDemoTests
{
    [Fact]
    public void Inspect_reports_the_same_architecture_from_both_stories260K_layouts()
    {
        var hf = CliRunner.Run(TestAssets.NewTempDir(), "model", "inspect", TestAssets.Path("models", "stories260K-hf"), "--json");
        var bin = CliRunner.Run(TestAssets.NewTempDir(), "model", "inspect", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--json");
        Assert.Equal(0, hf.ExitCode);
        Assert.Equal(0, bin.ExitCode);
        foreach (var (key, expected) in new[] { ("dim", 64), ("layers", 5), ("heads", 8), ("kv_heads", 4), ("vocab_size", 512), ("context_length", 512) })
        {
            Assert.Equal(expected, hf.Json.GetProperty(key).GetInt32());
            Assert.Equal(expected, bin.Json.GetProperty(key).GetInt32());
        }
        Assert.Equal(hf.Json.GetProperty("parameter_count").GetInt64(), bin.Json.GetProperty("parameter_count").GetInt64());
    }

    [Fact]
    public void Inspect_of_a_corrupt_file_is_an_input_error()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "broken.gguf"), "GGUF\u0003\0\0\0garbage"u8.ToArray());
        var r = CliRunner.Run(dir, "model", "inspect", "broken.gguf");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("broken.gguf", r.Stderr, StringComparison.Ordinal);
    }
}

public class BenchCommandTests
{
    [Fact]
    public void Bench_matmul_reports_every_shape_for_each_thread_count_beside_the_naive_twin()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "bench", "matmul", "--threads", "1", "--seconds", "0.02", "--json");
        Assert.Equal(0, r.ExitCode);
        var results = r.Json.GetProperty("results").EnumerateArray().ToList();
        Assert.True(results.Count >= 3);
        Assert.All(results, x =>
        {
            Assert.True(x.GetProperty("fast_gflops").GetDouble() > 0);
            Assert.True(x.GetProperty("naive_gflops").GetDouble() > 0);
        });
    }

    [Fact]
    public void Bench_rejects_a_bad_thread_count()
    {
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "bench", "matmul", "--threads", "0").ExitCode);
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "bench", "model", "--threads", "0").ExitCode);
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "bench", "model", "--prompt-tokens", "1").ExitCode);
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "bench", "model", "--stories", "no-such.bin").ExitCode);
    }

    [Fact]
    public void Bench_model_reports_prompt_and_decode_for_the_134M_model_and_stories260K()
    {
        var r = CliRunner.Run(
            TestAssets.NewTempDir(), "bench", "model", "--threads", "1", "--seconds", "0.01", "--prompt-tokens", "4", "--decode-tokens", "2",
            "--stories", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--json");
        Assert.Equal(0, r.ExitCode);
        var results = r.Json.GetProperty("results").EnumerateArray().ToList();
        var cases = results.Select(x => $"{x.GetProperty("model").GetString()} {x.GetProperty("case").GetString()}").ToList();
        Assert.Equal(["llama-134M prompt", "llama-134M prompt/token", "llama-134M decode", "stories260K prompt", "stories260K decode"], cases);
        Assert.All(results, x => Assert.True(x.GetProperty("tokens_per_second").GetDouble() > 0));
    }
}
