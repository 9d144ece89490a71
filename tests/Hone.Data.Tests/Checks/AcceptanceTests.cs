using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Checks;

public class AcceptanceTests
{
    [Fact]
    public void Toy_chat_file_has_no_format_error_and_warns_about_lines_3_and_4()
    {
        var path = TestAssets.Path("datasets", "openai-cookbook", "toy_chat_fine_tuning.jsonl");
        var r = new DataChecker().Check(path);
        Assert.Equal(DataKind.Sft, r.Kind);
        Assert.Equal(5, r.Examples);
        Assert.Equal(5, r.ValidExamples);
        Assert.Equal(0, r.Errors);
        var system = Assert.Single(r.Findings, f => f.Code == FindingCodes.MissingSystemMessage);
        Assert.Equal(3, system.Line);
        Assert.Equal(FindingSeverity.Warning, system.Severity);
        var user = Assert.Single(r.Findings, f => f.Code == FindingCodes.MissingUserMessage);
        Assert.Equal(4, user.Line);
        Assert.Equal(1, r.Dataset.DistinctSystemPrompts);
        Assert.Equal(1, r.Dataset.ExamplesWithoutSystemPrompt);
        Assert.True(r.Tokens!.IsEstimate);
        Assert.Equal(0, r.ExitCode);
        // 5 examples: auto epochs = min(25, 100 // 5) = 20.
        Assert.Equal(20, r.Cost!.Epochs);
        Assert.Equal(20 * r.Cost.BilledTokensPerEpoch, r.Cost.BilledTokens);
    }

    [Fact]
    public void Drone_file_passes_with_its_16_tools_and_calls_understood()
    {
        var path = TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl");
        var r = new DataChecker().Check(path);
        Assert.Equal(DataKind.Sft, r.Kind);
        Assert.Equal(0, r.Errors);
        Assert.Equal(r.Examples, r.ValidExamples);
        Assert.Equal(0, r.CountOf(FindingCodes.UnknownFunction));
        Assert.Equal(0, r.CountOf(FindingCodes.MessageMissingKey));

        // The tools and calls are understood by the typed model too.
        var first = Hone.Data.Model.OpenAiJson.ParseChat(File.ReadLines(path).First());
        Assert.Equal(16, first.Tools!.Count);
        var call = Assert.Single(first.Messages[^1].Contents.OfType<FunctionCallContent>());
        Assert.Contains(first.Tools, t => t.Function.Name == call.Name);
        Assert.False(first.ParallelToolCalls);

        // Tool definitions count towards tokens: more than the text alone.
        Assert.True(r.Tokens!.Min > 200, $"min tokens {r.Tokens.Min}");
    }

    [Fact]
    public void Report_serialises_to_json_with_codes_lines_and_paths()
    {
        var r = CheckHelper.Check([.. CheckHelper.Filler(), """{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":7}]}"""]);
        var json = r.ToJson();
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var f = doc.RootElement.GetProperty("findings").EnumerateArray().Single(x => x.GetProperty("code").GetString() == "missing_content");
        Assert.Equal(11, f.GetProperty("line").GetInt64());
        Assert.Equal("$.messages[1].content", f.GetProperty("path").GetString());
        Assert.Equal("error", f.GetProperty("severity").GetString()!.ToLowerInvariant());
        Assert.True(doc.RootElement.GetProperty("has_errors").GetBoolean());
        Assert.Equal(1, r.ExitCode);
    }
}
