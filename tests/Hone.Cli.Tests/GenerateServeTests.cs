using System.Text.Json;
using Hone.Cli.Commands;
using Hone.Models.Chat;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Tests;

/// <summary>hone generate, hone chat (its loop fed from a reader) and hone serve's option checks.</summary>
public class GenerateServeTests
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin");
    private static readonly string Tok = TestAssets.Path("models", "stories260K", "tok512.bin");

    private static string GoldenText() => JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")))
        .RootElement.GetProperty("text").GetString()!;

    [Fact]
    public void Generate_GreedyFromEmptyPrompt_ReproducesTheGoldenText()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "generate", "--model", Checkpoint, "--max-tokens", "60", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var text = r.Stdout.TrimEnd('\n', '\r');
        Assert.True(text.Length > 100, text);
        Assert.StartsWith(text, GoldenText(), StringComparison.Ordinal);
        Assert.Contains("tokens/s", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_HfFolderWithTokenizer_Json_SameSeedSameText()
    {
        var hf = TestAssets.Path("models", "stories260K-hf");
        string[] args = ["generate", "--model", hf, "--tokenizer", Tok, "--prompt", "Once upon a time", "--temperature", "0.8", "--top-p", "0.9", "--top-k", "40", "--seed", "17", "--max-tokens", "30", "--json"];
        var a = CliRunner.Run(TestAssets.NewTempDir(), args);
        var b = CliRunner.Run(TestAssets.NewTempDir(), args);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Equal(a.Json.GetProperty("text").GetString(), b.Json.GetProperty("text").GetString());
        Assert.StartsWith("Once upon a time", a.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(30, a.Json.GetProperty("completion_tokens").GetInt32());
        Assert.True(a.Json.GetProperty("tokens_per_second").GetDouble() > 0);
    }

    [Fact]
    public void Generate_FolderWithoutTokenizer_IsAnInputErrorNamingTheFix()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "generate", "--model", TestAssets.Path("models", "stories260K-hf"), "--json");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("--tokenizer", r.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-tokens", "0")]
    [InlineData("--temperature", "-1")]
    [InlineData("--top-p", "0")]
    public void Generate_BadOptions_Exit2(string option, string value)
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "generate", "--model", Checkpoint, option, value);
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("error:", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatLoop_KeepsHistory_ResetClearsIt_ExitStops()
    {
        using var client = LocalChatClient.Load(Checkpoint, template: "chatml");
        var input = new StringReader("Tell me about Lily.\nAnd then?\n/reset\nTell me about Lily.\n/exit\nnever read\n");
        var output = new StringWriter();
        var turns = await Hone.App.Models.LocalChat.RunLoopAsync(client, input, output, new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });

        Assert.Equal(3, turns.Count);
        Assert.True(turns[1].PromptTokens > turns[0].PromptTokens + turns[0].CompletionTokens); // history kept
        Assert.Equal(turns[0].PromptTokens, turns[2].PromptTokens); // reset
        Assert.Equal(turns[0].Assistant, turns[2].Assistant);
        var expected = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Tell me about Lily.")], new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });
        Assert.Equal(expected.Text, turns[0].Assistant);
        Assert.Contains("(history cleared)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains(turns[1].Assistant, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(turns, t => t.User == "never read");
    }

    [Theory]
    [InlineData("--max-concurrency", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--host", "not a host")]
    public void Serve_BadOptions_Exit2BeforeLoading(string option, string value)
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "serve", "--model", Checkpoint, option, value, "--json");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains(option, r.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_ApiKeyFile_EmptyOrMissingOrBesideApiKey_Exit2BeforeLoading()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "empty.key"), "\n");
        File.WriteAllText(Path.Combine(dir, "good.key"), "k\n");
        var empty = CliRunner.Run(dir, "serve", "--model", Checkpoint, "--port", "0", "--api-key-file", "empty.key", "--json");
        Assert.Equal(ExitCodes.UsageOrInput, empty.ExitCode);
        Assert.Contains("empty.key: the first line is empty", empty.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        var missing = CliRunner.Run(dir, "serve", "--model", Checkpoint, "--port", "0", "--api-key-file", "nope.key");
        Assert.Equal(ExitCodes.UsageOrInput, missing.ExitCode);
        Assert.Contains("nope.key", missing.Stderr, StringComparison.Ordinal);
        var both = CliRunner.Run(dir, "serve", "--model", Checkpoint, "--port", "0", "--api-key", "k", "--api-key-file", "good.key");
        Assert.Equal(ExitCodes.UsageOrInput, both.ExitCode);
        Assert.Contains("--api-key-file", both.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_Help_StatesWhereTheApiKeyComesFrom()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "serve", "--help");
        Assert.Contains("--api-key-file", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("HONE_API_KEY", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_UnknownTemplate_IsAnInputError()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "serve", "--model", Checkpoint, "--port", "0", "--template", "nope");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("chatml", r.Stderr, StringComparison.Ordinal);
    }
}
