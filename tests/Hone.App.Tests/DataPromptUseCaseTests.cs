using Hone.App.Data;
using Hone.Core;
using Hone.App.Evals;
using Hone.App.Models;
using Hone.App.Prompts;
using Hone.App.Training;
using Hone.Data.Model;
using Hone.Data.Splitting;
using Hone.Store;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.App.Tests;

/// <summary>The use cases behind hone data import/export/split/ladder, chat, prompt, edge add/export and the studies.</summary>
public class DataPromptUseCaseTests
{
    [Fact]
    public void Import_writes_typed_results_and_refuses_what_it_cannot_do_before_writing()
    {
        var dir = TestAssets.NewTempDir("import");
        File.WriteAllText(Path.Combine(dir, "in.csv"), "q,a\nIs 2 even?,yes\nIs 3 even?,no\n");
        var r = DataImport.Run(new DataImportRequest("csv", "in.csv", "out.jsonl", dir) { UserTemplate = "{{q}}", AssistantColumn = "a", System = "Answer." });
        Assert.Equal(DataKind.Sft, r.Kind);
        Assert.Equal(2, r.Imported);
        Assert.Equal(Path.Combine(dir, "out.jsonl"), r.OutputPath);
        Assert.Equal(2, File.ReadAllLines(r.OutputPath).Length);
        Assert.Equal(2, AppTestData.Json(r).GetProperty("imported").GetInt32());

        Assert.Contains("--out must differ", Assert.Throws<UseCaseException>(() => DataImport.Run(new DataImportRequest("csv", "in.csv", "in.csv", dir))).Message,
            StringComparison.Ordinal);
        Assert.Contains("--user-template", Assert.Throws<UseCaseException>(() => DataImport.Run(new DataImportRequest("csv", "in.csv", "x.jsonl", dir))).Message,
            StringComparison.Ordinal);
        Assert.Contains("csv and tsv only", Assert.Throws<UseCaseException>(() =>
            DataImport.Run(new DataImportRequest("alpaca", "in.csv", "x.jsonl", dir) { System = "s" })).Message, StringComparison.Ordinal);
        Assert.Throws<UseCaseException>(() => DataImport.Run(new DataImportRequest("parquet", "in.csv", "x.jsonl", dir)));
        var missing = Assert.Throws<FileNotFoundException>(() => DataImport.Run(new DataImportRequest("csv", "none.csv", "x.jsonl", dir)));
        Assert.Equal(ErrorKind.NotFound, InputErrors.KindOf(missing));
        Assert.False(File.Exists(Path.Combine(dir, "x.jsonl")));
    }

    [Fact]
    public void Export_converts_and_never_overwrites_its_input()
    {
        var dir = TestAssets.NewTempDir("dexport");
        AppTestData.WriteChats(dir, "chats.jsonl", 6, 0);
        var r = DataExport.Run(new DataExportRequest("chats.jsonl", "pc.jsonl", DataKind.PromptCompletion, dir));
        Assert.Equal(DataKind.Sft, r.From);
        Assert.Equal(6, r.Exported);
        Assert.Equal(6, File.ReadAllLines(Path.Combine(dir, "pc.jsonl")).Length);
        Assert.Throws<UseCaseException>(() => DataExport.Run(new DataExportRequest("chats.jsonl", "./chats.jsonl", DataKind.Sft, dir)));
    }

    [Fact]
    public void Split_and_ladder_return_typed_records_whose_json_is_the_documented_shape()
    {
        var dir = TestAssets.NewTempDir("split");
        AppTestData.WriteChats(dir, "train.jsonl", 40, 0);
        var s = DataSplit.Split(new DataSplitRequest(new SplitOptions { InputPath = "train.jsonl", ValidFraction = 0.25, Stratify = "label", Seed = 3 }, dir));
        Assert.Equal(40, s.Total);
        Assert.Equal(["train", "valid"], s.Parts.Select(p => p.Name));
        Assert.Equal(40, s.Parts.Sum(p => p.Count));
        Assert.Equal(20, s.Labels["yes"]);
        Assert.All(s.Parts, p => Assert.True(File.Exists(p.Path)));
        var json = AppTestData.Json(s);
        Assert.Equal(["total", "units", "near_duplicate_groups", "labels", "parts", "problems"], json.EnumerateObject().Select(p => p.Name));
        var again = DataSplit.Split(new DataSplitRequest(new SplitOptions { InputPath = "train.jsonl", ValidFraction = 0.25, Stratify = "label", Seed = 3 }, dir));
        Assert.Equal(json.GetRawText(), AppTestData.Json(again).GetRawText()); // seeded: the same split

        var l = DataSplit.Ladder(new DataLadderRequest(new LadderOptions { InputPath = "train.jsonl", Sizes = [10, 20], Stratify = "label", OutputDirectory = "ladder" }, dir));
        Assert.Equal([10, 20], l.Rungs.Select(r => r.Size));
        Assert.All(l.Rungs, r => Assert.StartsWith(Path.Combine(dir, "ladder"), r.Path, StringComparison.Ordinal));
        Assert.Equal(5, l.Rungs[0].Labels["yes"]);
        Assert.Equal(["total", "labels", "rungs", "problems"], AppTestData.Json(l).EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Chat_runs_through_the_local_chat_client_and_checks_its_options()
    {
        var request = new LocalChatRequest(new LocalModel(AppTestData.Stories, AppTestData.StoriesTokenizer, "chatml"), "Be brief.", 0, 8, null, 1);
        string? ready = null;
        var output = new StringWriter();
        var r = await LocalChat.RunAsync(request, new StringReader("Tell me about Lily.\n/reset\nTell me about Lily.\n"), output, (m, t) => ready = m + "|" + t);
        Assert.Equal(r.Model + "|" + r.Template, ready);
        Assert.Equal(2, r.Turns.Count);
        Assert.Equal(r.Turns[0], r.Turns[1]); // greedy, and /reset restarts from the system message
        using var client = request.Model.LoadClient();
        var direct = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Tell me about Lily.")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        Assert.Equal(direct.Text, r.Turns[0].Assistant);
        Assert.Equal(["model", "template", "turns"], AppTestData.Json(r).EnumerateObject().Select(p => p.Name));

        Assert.Contains("--max-tokens", (await Assert.ThrowsAsync<UseCaseException>(() =>
            LocalChat.RunAsync(request with { MaxTokens = 0 }, new StringReader(""), TextWriter.Null))).Message, StringComparison.Ordinal);
        Assert.Contains("--temperature", Assert.Throws<UseCaseException>(() => (request with { Temperature = float.NaN }).Validate()).Message, StringComparison.Ordinal);
    }

    private static Workspace PromptWorkspace(bool spec = true)
    {
        var ws = AppTestData.NewWorkspace("prompts");
        foreach (var f in Directory.GetFiles(ws.EvalsDir)) File.Delete(f);
        File.WriteAllText(Path.Combine(ws.EvalsDir, "golden.jsonl"),
            "{\"id\": \"a\", \"question\": \"What is two plus two\", \"answer\": \"4\"}\n{\"id\": \"b\", \"question\": \"What is three plus four\", \"answer\": \"7\"}\n");
        if (spec)
            File.WriteAllText(Path.Combine(ws.EvalsDir, "arith.yaml"),
                "golden_set: golden.jsonl\ngraders:\n  - {type: string_check, input: \"{{sample.output_text}}\", reference: \"{{item.answer}}\", operation: eq}\n");
        Directory.CreateDirectory(ws.PromptsDir);
        File.WriteAllText(Path.Combine(ws.PromptsDir, "direct.yaml"), "system: Answer with a digit.\nuser: \"{{ question }}\"\n");
        return ws;
    }

    [Fact]
    public void Prompt_show_lint_and_the_golden_rules_give_typed_results_and_input_errors()
    {
        var ws = PromptWorkspace();
        var shown = PromptFiles.Show(new PromptShowRequest("direct", ws.Root, Case: "b"));
        Assert.Equal("b", shown.CaseId);
        Assert.Equal("What is three plus four", shown.Steps[0].Messages[1].Content);
        Assert.Contains("--case 9", Assert.Throws<UseCaseException>(() => PromptFiles.Show(new PromptShowRequest("direct", ws.Root, Case: "9"))).Message,
            StringComparison.Ordinal);
        Assert.False(PromptFiles.Lint(new PromptLintRequest("direct", ws.Root)).HasProblems);
        Assert.Equal(2, PromptFiles.Lint(new PromptLintRequest("direct", ws.Root)).CasesChecked);

        var g = PromptFiles.LoadGolden(ws.Root, ws, "evals/golden.jsonl", null, specRequired: false);
        Assert.Null(g.Spec);
        Assert.Equal("b", PromptFiles.FindCase(g, "2").Id);
        Assert.Throws<UseCaseException>(() => PromptFiles.LoadGolden(ws.Root, ws, "evals/golden.jsonl", null, specRequired: true));

        var noSpec = PromptWorkspace(spec: false);
        Assert.Contains("evals/ has no spec", Assert.Throws<UseCaseException>(() => PromptFiles.LoadGolden(noSpec.Root, noSpec, null, null, false)).Message,
            StringComparison.Ordinal);
        Assert.Equal(0, PromptFiles.Lint(new PromptLintRequest("direct", noSpec.Root)).CasesChecked); // lint without cases

        var first = PromptFiles.WritePrompt(ws, "direct.better", "user: x\n");
        var second = PromptFiles.WritePrompt(ws, "direct.better", "user: y\n");
        Assert.EndsWith("direct.better.yaml", first, StringComparison.Ordinal);
        Assert.EndsWith("direct.better.2.yaml", second, StringComparison.Ordinal);
        Assert.Equal("user: x\n", File.ReadAllText(first));
    }

    [Fact]
    public async Task Prompt_techniques_refuse_before_any_model_call()
    {
        var ws = PromptWorkspace();
        var common = new PromptTechniqueRequest(ws.Root) { Model = "local:nowhere" };
        Assert.Contains("--concurrency", (await Assert.ThrowsAsync<UseCaseException>(() =>
            PromptTechniques.VariantsAsync(new PromptVariantsRequest(common with { Concurrency = 0 }, "direct")))).Message, StringComparison.Ordinal);
        Assert.Contains("--limit", (await Assert.ThrowsAsync<UseCaseException>(() =>
            PromptTechniques.BestOfAsync(new PromptBestOfRequest(common with { Limit = 0 }, "direct")))).Message, StringComparison.Ordinal);
        Assert.Contains("not a bare JSONL", (await Assert.ThrowsAsync<UseCaseException>(() =>
            PromptTechniques.OptimizeAsync(new PromptOptimizeRequest(common with { Golden = "evals/golden.jsonl" }, "direct")))).Message, StringComparison.Ordinal);
        var outside = new PromptTechniqueRequest(TestAssets.NewTempDir("no-ws"));
        Assert.Equal(ErrorKind.NotFound, InputErrors.KindOf(await Assert.ThrowsAnyAsync<HoneException>(() =>
            PromptTechniques.InduceAsync(new PromptInduceRequest(outside, "conversations.jsonl")))));
        using var store = ws.OpenStore();
        Assert.Empty(store.ListRuns());
    }

    [Fact]
    public void Golden_failures_are_not_exported_without_consent_and_unknown_runs_are_named()
    {
        var ws = AppTestData.NewWorkspace("edge-writes");
        Assert.Contains("--allow-golden-leak", Assert.Throws<UseCaseException>(() => EdgeCaseWrites.GuardGoldenLeak(false)).Message, StringComparison.Ordinal);
        Assert.StartsWith("--allow-golden-leak:", EdgeCaseWrites.GuardGoldenLeak(true), StringComparison.Ordinal);
        var warnings = new List<string>();
        Assert.Throws<UseCaseException>(() => EdgeCaseWrites.Export(new EdgeExportRequest(ws.Root, "r1", AllowGoldenLeak: false), warnings.Add));
        Assert.Throws<UseCaseException>(() => EdgeCaseWrites.Export(new EdgeExportRequest(ws.Root, "r1", true) { Format = "dpo" }, warnings.Add));
        Assert.Throws<UseCaseException>(() => EdgeCaseWrites.Report(new EvalEdgeCasesRequest(ws.Root, "r1") { Export = "x.jsonl" }));
        Assert.Empty(warnings);
        var unknown = Assert.ThrowsAny<HoneException>(() => EdgeCaseWrites.Add(new EdgeAddRequest(ws.Root, "nope", [])));
        Assert.Contains("nope", unknown.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ws.EvalsDir, "edge_cases.jsonl")));
    }

    [Fact]
    public void Sweep_request_takes_the_largest_epochs_and_scales_alpha_with_the_first_rank()
    {
        var run = new Hone.Training.Sft.SftRunOptions
        {
            ModelPath = AppTestData.Stories, TrainFile = "train.jsonl", Lora = new Hone.Models.Train.LoraOptions { Rank = 8, Alpha = 16 },
        };
        var study = new StudyRequest(TestAssets.NewTempDir("sweep"), run, "arith");
        var o = new SweepRequest(study, [1, 3, 2], [0.5, 1], [4, 16]).Options;
        Assert.Equal(3, o.Run.Trainer.Epochs);
        Assert.Equal(4, o.Run.Lora.Rank);
        Assert.Equal(8, o.Run.Lora.Alpha);
        Assert.Equal(12, o.Grid.Count);
        Assert.Equal(8, new SweepRequest(study, [1], [1]).Options.Run.Lora.Rank);
        Assert.Equal(run.Trainer.Seed, new ScaleRequest(study, [10, 20]).Options.Seed);
        Assert.Throws<WorkspaceException>(() => ScaleUseCase.Estimate(new ScaleRequest(study, null)));
    }
}
