using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Data.Samples;
using Hone.Data.Splitting;
using Hone.Models.Chat;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Demo;
using Hone.Training.Sft;
using Spectre.Console;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone demo</c>: the whole loop on a built-in task, offline. It generates the task's examples and golden set,
/// catches planted data problems, checks and splits the clean set, builds a small Llama base model (a tokenizer
/// learned from the task's domain and a brief pretraining that never shows the task; cached in the workspace), measures
/// the base model on the golden set with the task's grader, fine-tunes it with LoRA, measures again, and prints the
/// before/after table, the curves and three side-by-side examples. <c>--model DIR</c> runs the same loop on a real model.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var dir = new Option<string?>("--dir") { Description = "Workspace folder for the demo (default: a new folder under the system temp folder). A second run in the same folder reuses the built base model." };
        var examples = new Option<int?>("--examples") { Description = "Training examples to generate (default 400; 60 with --quick); the golden set is 120 cases (30 with --quick)." };
        var seed = new Option<int>("--seed") { Description = "Seed for the generated task, the base model and the fine-tune.", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "Small sizes (a tiny base model, few examples): the loop in seconds, for tests." };
        var local = ModelCliOptions.Local(required: false); // run the loop on this model instead of the built-in one
        var epochs = new Option<int?>("--epochs") { Description = "LoRA epochs (default 30; 6 with --quick)." };
        var lrMult = new Option<double?>("--lr-multiplier") { Description = $"LoRA learning rate = {SftOptions.LoraBaseLearningRate:0e0} × this (default 25 on the built-in model, 1 on --model)." };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank.", DefaultValueFactory = _ => 16 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("demo", "Run Hone's whole loop offline on a built-in task (orders to JSON): data QA, base model, baseline, LoRA fine-tune, before/after.")
        {
            dir, examples, seed, quick, epochs, lrMult, rank, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var q = p.GetValue(quick);
            var n = p.GetValue(examples) ?? (q ? 60 : 400);
            if (n is < 20 or > 100_000) throw new CliUsageException("--examples must be between 20 and 100,000.");
            var t = p.GetValue(threads);
            if (t is < 1 or > 256) throw new CliUsageException("--threads must be between 1 and 256.");
            var ep = p.GetValue(epochs) ?? (q ? 6 : 30);
            if (ep is < 1 or > 100) throw new CliUsageException("--epochs must be between 1 and 100.");
            var given = local.Get(p, ctx);
            var modelPath = given?.Path;
            if (modelPath is not null && !File.Exists(modelPath) && !Directory.Exists(modelPath))
                throw new CliUsageException($"--model {modelPath} not found: give a Hugging Face folder, a .gguf file or a llama2.c checkpoint.");
            var settings = new DemoSettings(n, p.GetValue(seed), q, modelPath, given?.Tokenizer, given?.Template, ep, p.GetValue(lrMult) ?? (modelPath is null ? 25 : 1), p.GetValue(rank), t);
            var root = p.GetValue(dir) is { } d ? ctx.ResolvePath(d)
                : Path.Combine(Path.GetTempPath(), "hone-demo-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            return Task.FromResult(Run(ctx, settings, root, ct));
        });
        return cmd;
    }

    private sealed record DemoSettings(int Examples, int Seed, bool Quick, string? ModelPath, string? TokenizerPath, string? Template,
        int Epochs, double LrMultiplier, int LoraRank, int Threads);

    private static int Run(CliContext ctx, DemoSettings s, string root, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        var ws = Workspace.Find(root) is { } existing && existing.Root == Path.GetFullPath(root)
            ? existing
            : Workspace.Init(root, new WorkspaceConfig { Task = "order-extraction", DefaultModel = s.ModelPath ?? "builtin:demo" });
        var console = ctx.Console;
        console.Write(new Rule("[bold]Hone demo[/]: extract orders from sentences into JSON").LeftJustified());
        console.MarkupLine($"workspace {Markup.Escape(ws.Root)}");

        // 1. The task: examples that carry the best prompt, and a golden test set with reference fields.
        var clock = Stopwatch.StartNew();
        var goldenCount = s.Quick ? 30 : 120;
        var cases = OrderExtractionTask.Generate(s.Examples + goldenCount, s.Seed);
        var pool = cases.Take(s.Examples).ToList();
        var golden = cases.Skip(s.Examples).ToList();
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
        var tokens = report.Tokens!;
        console.MarkupLine($"[green]3[/] data check on the clean set: {report.Errors} errors, {report.Warnings} warnings; tokens/example " +
            $"median {tokens.Median:0} (p5 {tokens.P5:0}, p95 {tokens.P95:0}, {Markup.Escape(tokens.Counter)})");
        if (report.Cost is { } cost)
            console.MarkupLine($"    hosted fine-tune estimate: {cost.Epochs} epochs × {cost.BilledTokensPerEpoch:N0} tokens" +
                (cost.EstimatedUsd is { } usd ? $" ≈ ${usd:0.00} ({Markup.Escape(cost.PriceSource ?? "")})" : "") + "; on this machine: $0");

        // 4. Split and ladder.
        var split = Splitter.Split(new SplitOptions { InputPath = trainPath, ValidFraction = 0.2, Seed = s.Seed });
        console.MarkupLine("[green]4[/] split: " + string.Join(", ", split.Parts.Select(x => $"{x.Name} {x.Count} → {Rel(ws, x.Path)}")));
        var trainSplit = split.Parts.First(x => x.Name == "train").Path;
        var validSplit = split.Parts.FirstOrDefault(x => x.Name == "valid")?.Path;
        var ladder = Ladder.Build(new LadderOptions { InputPath = trainSplit, Seed = s.Seed, OutputDirectory = Path.Combine(ws.DataDir, "ladder") });
        console.MarkupLine("    data ladder (nested subsets to measure the gain of doubling the data): " +
            string.Join(", ", ladder.Rungs.Select(r => r.Size.ToString(CultureInfo.InvariantCulture))));
        phases["data"] = clock.Elapsed.TotalSeconds;
        if (report.HasErrors)
        {
            console.MarkupLine("[red]The clean set has errors; the demo stops before training.[/]");
            ctx.WriteJson(new { workspace = ws.Root, clean_errors = report.Errors });
            return ExitCodes.ProblemsFound;
        }

        // 5. The base model: the built-in one (built once per workspace) or the user's.
        clock.Restart();
        DemoBaseModelInfo? built = null;
        string basePath;
        if (s.ModelPath is null)
        {
            var options = (s.Quick ? DemoBaseModelOptions.Quick : new DemoBaseModelOptions()) with { Seed = s.Seed, Threads = s.Threads };
            var folder = Path.Combine(ws.Root, "models", s.Quick ? "demo-base-quick" : "demo-base");
            built = DemoProgress.Run(ctx, "pretraining the base model", progress => DemoBaseModel.Build(options, folder, progress, ct));
            basePath = built.Path;
            console.MarkupLine($"[green]5[/] base model {Rel(ws, basePath)}: Llama, {built.Parameters:N0} parameters, vocabulary {built.VocabSize} (BPE learned from the domain text); " +
                (built.Cached ? "reused (built by an earlier demo in this workspace)" :
                    $"pretrained on {built.PretrainTokens:N0} tokens of domain text in {built.Steps} steps, loss {built.FirstLoss:0.00} → {built.FinalLoss:0.00}, {built.Seconds:0.0} s"));
        }
        else
        {
            basePath = s.ModelPath;
            console.MarkupLine($"[green]5[/] base model {Markup.Escape(basePath)}");
        }
        phases["base_model"] = clock.Elapsed.TotalSeconds;

        // 6. Baseline on the golden set.
        clock.Restart();
        DemoScore before;
        using (var baseClient = new LocalModel(basePath, s.TokenizerPath, s.Template).LoadClient())
            before = DemoProgress.Count(ctx, "base model on the golden set", golden.Count, tick => DemoEvaluation.Run(baseClient, golden, tick, ct));
        phases["baseline_eval"] = clock.Elapsed.TotalSeconds;
        console.MarkupLine($"[green]6[/] base model on the golden set: {before.Passed}/{golden.Count} exact ({before.Accuracy:P0}), fields {before.FieldMean:P0}, {before.ValidJson:P0} valid JSON, {before.Seconds:0.0} s");
        clock.Restart();
        var variants = DemoPromptVariants.Run(ctx, ws, basePath, s.TokenizerPath, s.Template, pool[0], goldenPath, s.Quick ? 4 : 8, ct); // the prompt stage
        phases["prompt_variants"] = clock.Elapsed.TotalSeconds;

        // 7. LoRA fine-tune.
        clock.Restart();
        using var store = ws.OpenStore();
        var runFolder = Path.Combine(ws.RunsDir, "demo-sft-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture));
        var sftOptions = new SftRunOptions
        {
            ModelPath = basePath,
            TokenizerPath = s.TokenizerPath,
            Template = s.Template,
            TrainFile = trainSplit,
            ValidFile = validSplit,
            Threads = s.Threads,
            Trainer = new SftOptions
            {
                Method = TrainingMethod.Lora, Epochs = s.Epochs, BatchSize = 8, MicroBatchSize = 8, LearningRateMultiplier = s.LrMultiplier,
                Seed = s.Seed, EvalEvery = 5, WarmupRatio = 0.05,
            },
            Lora = new LoraOptions { Rank = s.LoraRank, Alpha = 2 * s.LoraRank, Seed = s.Seed, TargetModules = ["all-linear"] },
        };
        var tuned = DemoProgress.Run(ctx, "LoRA fine-tune", progress => SftRun.Start(sftOptions, runFolder, store, progress, ct));
        phases["fine_tune"] = clock.Elapsed.TotalSeconds;
        var sft = tuned.Result;
        console.MarkupLine($"[green]7[/] LoRA fine-tune (rank {s.LoraRank}, all linear layers): {tuned.TrainExamples} examples × {sft.Epochs} epochs = {sft.Steps} steps, " +
            $"lr {sft.LearningRate:0.##e0}, {tuned.Seconds:0.0} s → {Rel(ws, tuned.RunFolder)}");

        // 8. The tuned model on the same golden set.
        clock.Restart();
        DemoScore after;
        using (tuned.Model)
        using (var tunedClient = new LocalChatClient(tuned.Model, tuned.Encoder))
            after = DemoProgress.Count(ctx, "tuned model on the golden set", golden.Count, tick => DemoEvaluation.Run(tunedClient, golden, tick, ct));
        phases["tuned_eval"] = clock.Elapsed.TotalSeconds;
        console.MarkupLine($"[green]8[/] tuned model on the golden set: {after.Passed}/{golden.Count} exact ({after.Accuracy:P0}), fields {after.FieldMean:P0}, {after.ValidJson:P0} valid JSON, {after.Seconds:0.0} s");

        // 9. Double the data and measure: the ladder's half and all of the training split, same settings, scored on the golden set.
        clock.Restart();
        var scaling = DemoScaling.Run(ctx, ws, store, goldenPath, sftOptions, s.Seed, ct);
        phases["scaling"] = clock.Elapsed.TotalSeconds;

        // Record the demo and report.
        var run = store.CreateRun("demo", "demo loop", JsonSerializer.Serialize(new { examples = s.Examples, seed = s.Seed, quick = s.Quick, model = basePath }));
        store.LogMetrics(run.Id, 0, [
            new("examples", pool.Count), new("golden_cases", golden.Count), new("check_errors", report.Errors),
            new("planted_problems_found", flawedReport.Errors + flawedReport.Warnings), new("base_accuracy", before.Accuracy),
            new("tuned_accuracy", after.Accuracy), new("base_field_accuracy", before.FieldMean), new("tuned_field_accuracy", after.FieldMean),
        ]);
        store.AddArtifact(run.Id, "train", trainPath, null, new FileInfo(trainPath).Length);
        store.AddArtifact(run.Id, "golden", goldenPath, null, new FileInfo(goldenPath).Length);
        store.SetStatus(run.Id, RunStatus.Succeeded);
        phases["total"] = total.Elapsed.TotalSeconds;
        DemoOutput.Print(console, before, after, sft, phases, ws.Root);
        ctx.WriteJson(new
        {
            workspace = ws.Root,
            run = run.Id,
            train = trainPath,
            golden = goldenPath,
            planted_findings = flawedReport.CountsByCode,
            clean_errors = report.Errors,
            clean_warnings = report.Warnings,
            tokens,
            cost = report.Cost,
            split = split.Parts.Select(x => new { name = x.Name, count = x.Count, path = x.Path }),
            ladder = ladder.Rungs.Select(r => r.Size),
            base_model = built is null
                ? (object)new { path = basePath, builtin = false }
                : new
                {
                    path = built.Path, builtin = true, cached = built.Cached, parameters = built.Parameters, vocab_size = built.VocabSize,
                    pretrain_tokens = built.PretrainTokens, pretrain_steps = built.Steps, pretrain_loss_first = built.FirstLoss,
                    pretrain_loss_final = built.FinalLoss, pretrain_seconds = built.Seconds,
                },
            prompt_variants = variants,
            before = DemoOutput.ScoreJson(before),
            after = DemoOutput.ScoreJson(after),
            improvement = after.Accuracy - before.Accuracy,
            field_improvement = after.FieldMean - before.FieldMean,
            fine_tune = new
            {
                run = tuned.RunId, folder = tuned.RunFolder, epochs = sft.Epochs, steps = sft.Steps, batch_size = sft.BatchSize,
                learning_rate = sft.LearningRate, lora_rank = s.LoraRank, train_examples = tuned.TrainExamples, valid_examples = tuned.ValidExamples,
                results_csv = sft.ResultsCsvPath, chart = sft.ChartPath, history = sft.History, epochs_metrics = sft.EpochHistory,
                diagnosis = sft.Findings.Select(f => new { kind = f.Kind.ToString(), message = f.Message, suggestion = f.Suggestion }),
            },
            examples = DemoOutput.SideBySide(before, after, 3).Select(i => new
            {
                input = golden[i].Sentence, base_output = before.Cases[i].Output, tuned_output = after.Cases[i].Output, reference = golden[i].AnswerJson,
            }),
            scaling = DemoScaling.Json(scaling),
            seconds = phases,
        });
        return ExitCodes.Success;
    }

    private static string Rel(Workspace ws, string path) => Markup.Escape(Path.GetRelativePath(ws.Root, path));
}
