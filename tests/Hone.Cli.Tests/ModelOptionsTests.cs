using System.CommandLine;
using System.Text.Json;
using Hone.Cli.Commands;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// Every command that loads a local model takes the same model options (one shared set: the same names and help text),
/// and an error that says "--tokenizer" or "--template" is one the command that prints it accepts.
/// </summary>
public class ModelOptionsTests
{
    private static Command Find(params string[] path)
    {
        Command c = HoneApp.BuildRoot(new CliHost(TextWriter.Null, TextWriter.Null, "."));
        foreach (var name in path) c = c.Subcommands.Single(s => s.Name == name);
        return c;
    }

    private static string? Help(Command c, string option) => c.Options.SingleOrDefault(o => o.Name == option)?.Description;

    [Theory]
    [InlineData(true, false, "generate")]
    [InlineData(true, true, "chat")]
    [InlineData(true, true, "serve")]
    [InlineData(false, true, "eval")]
    [InlineData(false, true, "data", "check")]
    [InlineData(false, true, "data", "mask-preview")]
    [InlineData(false, true, "train", "sft")]
    [InlineData(false, true, "train", "dpo")]
    [InlineData(false, true, "train", "sft-then-dpo")]
    [InlineData(false, true, "train", "rft")]
    [InlineData(false, true, "demo")]
    public void Commands_that_load_a_model_share_the_model_options(bool adapter, bool template, params string[] path)
    {
        var c = Find(path);
        Assert.NotNull(Help(c, "--model"));
        Assert.Equal(ModelCliOptions.TokenizerHelp, Help(c, "--tokenizer"));
        Assert.Equal(template ? ModelCliOptions.TemplateHelp : null, Help(c, "--template"));
        Assert.Equal(adapter ? ModelCliOptions.AdapterHelp : null, Help(c, "--adapter"));
        if (path[0] is not ("eval" or "data")) Assert.Equal(ModelCliOptions.ModelHelp, Help(c, "--model"));
    }

    private static string EvalWorkspace()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "evals", "golden.jsonl"), """{"id": "a", "q": "Once upon a time", "a": "x"}""");
        File.WriteAllText(Path.Combine(dir, "evals", "s.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - type: string_check
                input: "{{sample.output_text}}"
                reference: "{{item.a}}"
                operation: eq
            max_tokens: 4
            """);
        return dir;
    }

    [Fact]
    public void Eval_takes_tokenizer_for_a_local_model_without_one_as_its_error_says()
    {
        var dir = EvalWorkspace();
        var folder = "local:" + TestAssets.Path("models", "stories260K-hf"); // config.json + safetensors, no tokenizer
        var missing = CliRunner.Run(dir, "eval", "s", "--model", folder, "--template", "plain", "--json");
        Assert.Equal(ExitCodes.UsageOrInput, missing.ExitCode);
        Assert.Contains("--tokenizer", missing.Json.GetProperty("error").GetString(), StringComparison.Ordinal);

        var r = CliRunner.Run(dir, "eval", "s", "--model", folder, "--template", "plain",
            "--tokenizer", TestAssets.Path("models", "stories260K", "tok512.bin"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var run = r.Json.GetProperty("runs")[0];
        Assert.Equal(1, run.GetProperty("summary").GetProperty("graded").GetInt32());
        Assert.True(run.GetProperty("summary").GetProperty("input_tokens").GetInt64() > 3);
    }

    [Fact]
    public void Mask_preview_and_data_check_take_the_same_tokenizer_and_template()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "d.jsonl"), JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = "Hi" }, new { role = "assistant", content = "Hello" } },
        }));
        string[] model = ["--model", TestAssets.Path("models", "stories260K-hf"), "--tokenizer", TestAssets.Path("models", "stories260K", "tok512.bin"), "--template", "plain"];
        var preview = CliRunner.Run(dir, ["data", "mask-preview", "d.jsonl", .. model, "--json"]);
        Assert.True(preview.ExitCode == 0, preview.Stderr);
        Assert.Equal("builtin:plain", preview.Json.GetProperty("template").GetString());
        var check = CliRunner.Run(dir, ["data", "check", "d.jsonl", .. model, "--json"]);
        Assert.True(check.ExitCode is 0 or 1, check.Stderr);
        Assert.Contains("stories260K-hf", check.Json.GetProperty("tokens").GetProperty("counter").GetString(), StringComparison.Ordinal);
    }
}
