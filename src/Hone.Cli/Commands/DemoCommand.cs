using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Data.Samples;
using Hone.Data.Splitting;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone demo</c>: the workflow on a built-in task, with no model and no network. At this stage it runs the data
/// part of the loop: generate the task's examples and golden set, catch planted data problems, check the clean set
/// (tokens, duplicates, balance, cost), split it, and build the data ladder; every step is recorded in a workspace.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var dir = new Option<string?>("--dir") { Description = "Workspace folder for the demo (default: a new folder under the system temp folder)." };
        var examples = new Option<int>("--examples") { Description = "Training examples to generate.", DefaultValueFactory = _ => 120 };
        var seed = new Option<int>("--seed") { Description = "Seed for the generated task.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("demo", "Run Hone's loop on a built-in task (order extraction to JSON) with no model and no network.")
        {
            dir, examples, seed,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var n = p.GetValue(examples);
            if (n is < 20 or > 100_000) throw new CliUsageException("--examples must be between 20 and 100,000.");
            var s = p.GetValue(seed);
            var root = p.GetValue(dir) is { } d ? ctx.ResolvePath(d)
                : Path.Combine(Path.GetTempPath(), "hone-demo-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            var clock = Stopwatch.StartNew();
            var ws = Workspace.Find(root) is { } existing && existing.Root == Path.GetFullPath(root)
                ? existing
                : Workspace.Init(root, new WorkspaceConfig { Task = "order-extraction", DefaultModel = "builtin:demo" });
            var console = ctx.Console;
            console.Write(new Rule("[bold]Hone demo[/]: extract orders from sentences into JSON").LeftJustified());
            console.MarkupLine($"workspace {Markup.Escape(ws.Root)}");

            // 1. The task: examples that carry the best prompt, and a golden test set with reference fields.
            var cases = OrderExtractionTask.Generate(n + n / 2, s);
            var pool = cases.Take(n).ToList();
            var golden = cases.Skip(n).ToList();
            var trainPath = Path.Combine(ws.DataDir, "orders.jsonl");
            var goldenPath = Path.Combine(ws.DataDir, "golden.jsonl");
            JsonlWriter.Write(trainPath, pool.Select(OrderExtractionTask.ToChatExample));
            JsonlWriter.WriteLines(goldenPath, golden, c => JsonSerializer.Serialize(new
            {
                id = "g" + golden.IndexOf(c).ToString("D3", CultureInfo.InvariantCulture),
                messages = new[] { new { role = "system", content = OrderExtractionTask.SystemPrompt }, new { role = "user", content = c.Sentence } },
                reference = JsonSerializer.Deserialize<JsonElement>(c.AnswerJson),
            }));
            console.MarkupLine($"[green]1[/] generated {pool.Count} training examples → {Rel(ws, trainPath)} and a golden set of {golden.Count} → {Rel(ws, goldenPath)}");

            // 2. Data QA catches what goes wrong in real sets: a duplicate, a contradiction, a turn without an answer.
            var flawedPath = Path.Combine(ws.DataDir, "orders.flawed.jsonl");
            var flawed = pool.Select(OrderExtractionTask.ToChatExample).ToList();
            flawed.Add(OrderExtractionTask.ToChatExample(pool[0]));
            var contradiction = OrderExtractionTask.ToChatExample(pool[1]);
            contradiction.Messages[2] = new ChatMessage(ChatRole.Assistant, pool[1].AnswerJson.Replace(pool[1].City, "Nowhere", StringComparison.Ordinal));
            flawed.Add(contradiction);
            flawed.Add(new ChatExample { Messages = [new ChatMessage(ChatRole.System, OrderExtractionTask.SystemPrompt), new ChatMessage(ChatRole.User, pool[2].Sentence)] });
            JsonlWriter.Write(flawedPath, flawed);
            var checkOptions = new DataCheckOptions { Model = "gpt-4o-mini-2024-07-18" };
            var flawedReport = new DataChecker(checkOptions).Check(flawedPath);
            console.MarkupLine($"[green]2[/] data check on a copy with planted problems: {flawedReport.Errors} errors, {flawedReport.Warnings} warnings");
            foreach (var (code, count) in flawedReport.CountsByCode.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                console.MarkupLine($"    {Markup.Escape(code)} × {count}");

            // 3. The clean set passes, with token statistics and a cost estimate for a hosted fine-tune.
            var report = new DataChecker(checkOptions).Check(trainPath);
            var t = report.Tokens!;
            console.MarkupLine($"[green]3[/] data check on the clean set: {report.Errors} errors, {report.Warnings} warnings; tokens/example " +
                $"median {t.Median:0} (p5 {t.P5:0}, p95 {t.P95:0}, {Markup.Escape(t.Counter)})");
            if (report.Cost is { } cost)
                console.MarkupLine($"    hosted fine-tune estimate: {cost.Epochs} epochs × {cost.BilledTokensPerEpoch:N0} tokens" +
                    (cost.EstimatedUsd is { } usd ? $" ≈ ${usd:0.00} ({Markup.Escape(cost.PriceSource ?? "")})" : "") + $"; on this machine: $0");

            // 4. Split and ladder.
            var split = Splitter.Split(new SplitOptions { InputPath = trainPath, ValidFraction = 0.2, Seed = s });
            console.MarkupLine($"[green]4[/] split: " + string.Join(", ", split.Parts.Select(x => $"{x.Name} {x.Count} → {Rel(ws, x.Path)}")));
            var trainSplit = split.Parts.First(x => x.Name == "train").Path;
            var ladder = Ladder.Build(new LadderOptions { InputPath = trainSplit, Seed = s, OutputDirectory = Path.Combine(ws.DataDir, "ladder") });
            console.MarkupLine($"[green]5[/] data ladder (nested subsets to measure the gain of doubling the data): " +
                string.Join(", ", ladder.Rungs.Select(r => r.Size.ToString(CultureInfo.InvariantCulture))));

            // Record the run.
            using var store = ws.OpenStore();
            var run = store.CreateRun("data", "demo data pipeline", JsonSerializer.Serialize(new { examples = n, seed = s }));
            store.LogMetrics(run.Id, 0, [
                new("examples", pool.Count), new("golden_cases", golden.Count), new("check_errors", report.Errors),
                new("check_warnings", report.Warnings), new("planted_problems_found", flawedReport.Errors + flawedReport.Warnings),
                new("tokens_median", t.Median),
            ]);
            store.AddArtifact(run.Id, "train", trainPath, null, new FileInfo(trainPath).Length);
            store.AddArtifact(run.Id, "golden", goldenPath, null, new FileInfo(goldenPath).Length);
            store.SetStatus(run.Id, RunStatus.Succeeded);
            console.MarkupLine($"run {Markup.Escape(run.Id)} recorded in {Rel(ws, ws.DatabasePath)}; {clock.Elapsed.TotalSeconds:0.0} s");
            console.MarkupLine("[grey]Next in the loop (as Hone grows): baseline on the golden set, LoRA fine-tune, before/after table.[/]");
            ctx.WriteJson(new
            {
                workspace = ws.Root,
                run = run.Id,
                train = trainPath,
                golden = goldenPath,
                planted_findings = flawedReport.CountsByCode,
                clean_errors = report.Errors,
                clean_warnings = report.Warnings,
                tokens = t,
                cost = report.Cost,
                split = split.Parts.Select(x => new { name = x.Name, count = x.Count, path = x.Path }),
                ladder = ladder.Rungs.Select(r => r.Size),
                seconds = clock.Elapsed.TotalSeconds,
            });
            return report.HasErrors ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    private static string Rel(Workspace ws, string path) => Markup.Escape(Path.GetRelativePath(ws.Root, path));
}
