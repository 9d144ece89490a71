using System.Text.Json;
using Hone.App.Data;
using Hone.App.Evals;
using Hone.App.Export;
using Hone.App.Models;
using Hone.Store;
using Hone.Testing;

namespace Hone.App.Tests;

public class MoreUseCaseTests
{
    private static string GoldenText() => JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")))
        .RootElement.GetProperty("text").GetString()!;

    [Fact]
    public void Generate_goes_through_the_chat_client_and_reproduces_the_golden_greedy_text()
    {
        var r = Generate.Run(new GenerateRequest(AppTestData.Stories, "", 0, 1, 0, null, 60, null, 1));
        Assert.Equal(60, r.CompletionTokens);
        Assert.True(r.Text.Length > 100, r.Text);
        Assert.StartsWith(r.Text, GoldenText(), StringComparison.Ordinal);
        Assert.Empty(r.Warnings);
        Assert.Contains("--max-tokens", Assert.Throws<UseCaseException>(() => new GenerateRequest(AppTestData.Stories, "", 0, 1, 0, null, 0, null, 1).Validate()).Message,
            StringComparison.Ordinal);
        Assert.Contains("--top-p", Assert.Throws<UseCaseException>(() => new GenerateRequest(AppTestData.Stories, "", 0, 0, 0, null, 5, null, 1).Validate()).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Data_check_counts_tokens_with_a_local_model_and_refuses_two_prices()
    {
        var ws = AppTestData.NewWorkspace("datacheck");
        AppTestData.WriteChats(ws.Root, "train.jsonl", 10, 0);
        var report = DataCheck.Run(new DataCheckRequest
        {
            File = "train.jsonl", WorkingDirectory = ws.Root, Model = AppTestData.Stories, Tokenizer = AppTestData.StoriesTokenizer, Template = "chatml",
        });
        Assert.Equal(10, report.Examples);
        Assert.Equal(512, report.Tokens!.ContextLimit);
        Assert.Contains("stories260K.bin", report.Tokens.Counter, StringComparison.Ordinal);
        Assert.Throws<UseCaseException>(() => DataCheck.Run(new DataCheckRequest
        {
            File = "train.jsonl", WorkingDirectory = ws.Root, PricePer1M = 1, PriceModel = "gpt-4o-mini-2024-07-18",
        }));
        Assert.Throws<FileNotFoundException>(() => DataCheck.Run(new DataCheckRequest { File = "none.jsonl", WorkingDirectory = ws.Root }));
    }

    [Fact]
    public void Edge_cases_of_a_new_workspace_are_none_and_an_unknown_one_is_named_in_the_error()
    {
        var ws = AppTestData.NewWorkspace("edges");
        var list = EdgeCaseUseCases.List(new EdgeCaseRequest(ws.Root));
        Assert.Equal(0, list.Runs);
        Assert.Empty(list.EdgeCases);
        var e = Assert.Throws<WorkspaceException>(() => EdgeCaseUseCases.Show(new EdgeCaseRequest(ws.Root, "dates")));
        Assert.Contains("'dates'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_and_compare_refuse_what_they_cannot_do_before_touching_anything()
    {
        var ws = AppTestData.NewWorkspace("export");
        Assert.Contains("--format onnx", Assert.Throws<UseCaseException>(() => ExportRun.Run(new ExportRequest("run", ws.Root, "onnx"))).Message, StringComparison.Ordinal);
        Assert.Contains("--gguf-type", Assert.Throws<UseCaseException>(() => ExportRun.Run(new ExportRequest("run", ws.Root, "gguf", GgufType: "q4"))).Message,
            StringComparison.Ordinal);
        Assert.Contains("--epoch", Assert.Throws<UseCaseException>(() => ExportRun.Run(new ExportRequest("run", ws.Root, "merged", Epoch: 0))).Message,
            StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "run")));
        Assert.ThrowsAny<Exception>(() => CompareRuns.Run(new CompareRequest("baseline", "nope", ws.Root)));
    }
}
