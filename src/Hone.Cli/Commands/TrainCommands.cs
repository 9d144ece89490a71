using System.CommandLine;
using System.Globalization;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Runs;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone train sft</c> and <c>hone train resume</c>.</summary>
public static class TrainCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return new Command("train", "Fine-tune a local model on this machine (SFT; LoRA or full) and resume killed runs.")
        {
            CreateSft(host),
            TrainDpoCommand.CreateDpo(host),
            TrainDpoCommand.CreateSftThenDpo(host),
            TrainRftCommand.Create(host),
            CreateResume(host),
        };
    }

    private static Command CreateSft(CliHost host)
    {
        var local = ModelCliOptions.Local(); // the base model
        var train = new Option<string>("--train") { Description = "Training JSONL (chat SFT with loss on assistant turns, or prompt/completion).", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation JSONL (valid_loss, valid_mean_token_accuracy, full_valid_*)." };
        var method = new Option<string>("--method") { Description = "lora (only adapter matrices train) or full.", DefaultValueFactory = _ => "lora" };
        method.AcceptOnlyFromAmong("lora", "full");
        var epochs = new Option<string>("--epochs") { Description = "auto (the rule 'hone data check' prints) or N.", DefaultValueFactory = _ => "auto" };
        var batch = new Option<string>("--batch-size") { Description = "auto (n/16 clamped to 1..8) or N examples per optimiser step.", DefaultValueFactory = _ => "auto" };
        var lrMult = new Option<double>("--lr-multiplier") { Description = $"Learning rate = base × this (base {SftOptions.LoraBaseLearningRate:0e0} for LoRA, {SftOptions.FullBaseLearningRate:0e0} for full).", DefaultValueFactory = _ => 1.0 };
        var lora = new LoraCliOptions();
        var overflow = new OverflowCliOption();
        var dropout = new Option<float>("--lora-dropout") { Description = "LoRA dropout on the adapter input.", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives a bit-identical run on the same machine.", DefaultValueFactory = _ => 42 };
        var trainOnInputs = new Option<bool>("--train-on-inputs") { Description = "Take the loss on every token, not only on assistant turns." };
        var packing = new Option<bool>("--packing") { Description = "Pack several examples per row (no attention across them)." };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validation-batch metrics.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<run id> in the workspace)." };
        var evalSpec = new Option<string?>("--eval-spec")
        {
            Description = "Score each epoch's checkpoint on this eval spec's golden set (a path or a name in evals/): golden_accuracy in results.csv and the run store; " +
                "the best checkpoint is kept beside the newest ones and `hone export` takes it by default.",
        };
        var cmd = new Command("sft", "Supervised fine-tuning with the loss on assistant tokens only; LoRA or full; metrics, curves, checkpoints each epoch.")
        {
            train, valid, method, epochs, batch, lrMult, lora.Rank, lora.Alpha, dropout, lora.Targets, lora.ModulesToSave, seed, trainOnInputs, packing, evalEvery,
            overflow.Option, threads, output, evalSpec,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var baseModel = local.Get(p, ctx)!;
            var ws = ctx.FindWorkspace();
            var defaults = ws is null ? null : Hone.Training.Improve.TrainDefaults.Read(ws.Root);
            var options = new SftRunOptions
            {
                ModelPath = baseModel.Path,
                TrainFile = ctx.ResolvePath(p.GetValue(train)!),
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                TokenizerPath = baseModel.Tokenizer,
                Template = baseModel.Template,
                Threads = p.GetValue(threads),
                OnOverflow = overflow.Get(p),
                Trainer = new SftOptions
                {
                    Method = p.GetValue(method) == "full" ? TrainingMethod.Full : TrainingMethod.Lora,
                    Epochs = DataCheckCommand.ParseEpochs(p.GetValue(epochs)!),
                    BatchSize = TrainDpoCommand.ParseAuto(p.GetValue(batch)!, "--batch-size"),
                    LearningRateMultiplier = p.GetValue(lrMult),
                    Seed = p.GetValue(seed),
                    TrainOnInputs = p.GetValue(trainOnInputs),
                    Packing = p.GetValue(packing),
                    EvalEvery = p.GetValue(evalEvery),
                },
                Lora = lora.Build(p, p.GetValue(seed), p.GetValue(dropout)),
            };
            if (defaults is not null) options = ApplyDefaults(ctx, p, options, defaults, epochs, lrMult, lora.Rank);
            using var store = ws?.OpenStore();
            if (p.GetValue(evalSpec) is { } specName)
            {
                if (ws is null || store is null) throw new CliUsageException("--eval-spec needs a workspace (run 'hone init' first): the scores are eval runs in its store.");
                var specPath = EvalCommands.FindSpec(ctx, ws, specName);
                options = options with { EvalSpec = specPath, Scorer = GoldenSetScorer.For(ws, store, specPath) };
            }
            var folder = TrainRunFolder.Resolve(ctx, ws, p.GetValue(output), "sft");
            var result = TrainProgressView.Run(ctx, progress => SftRun.Start(options, folder, store, progress, ctx.Warn, ct));
            return Task.FromResult(Report(ctx, result));
        });
        return cmd;
    }

    /// <summary>
    /// The settings a sweep wrote back (train-defaults.json) for each of --epochs, --lr-multiplier and --lora-rank not given
    /// on the command line; says which it took.
    /// </summary>
    private static SftRunOptions ApplyDefaults(CliContext ctx, ParseResult p, SftRunOptions o, Hone.Training.Improve.TrainDefaults d,
        Option<string> epochs, Option<double> lrMult, Option<int> rank)
    {
        var taken = new List<string>();
        if (p.GetResult(epochs) is null or { Implicit: true })
        {
            o = o with { Trainer = o.Trainer with { Epochs = d.Epochs } };
            taken.Add($"--epochs {d.Epochs}");
        }
        if (p.GetResult(lrMult) is null or { Implicit: true })
        {
            o = o with { Trainer = o.Trainer with { LearningRateMultiplier = d.LrMultiplier } };
            taken.Add($"--lr-multiplier {d.LrMultiplier.ToString(CultureInfo.InvariantCulture)}");
        }
        if (p.GetResult(rank) is null or { Implicit: true })
        {
            o = o with { Lora = o.Lora with { Rank = d.LoraRank, Alpha = o.Lora.Alpha * d.LoraRank / o.Lora.Rank } };
            taken.Add($"--lora-rank {d.LoraRank}");
        }
        if (taken.Count > 0) ctx.Warn($"using {string.Join(", ", taken)} from {Hone.Training.Improve.TrainDefaults.FileName} (the winner of the sweep in {d.Source}); give the options to override.");
        return o;
    }

    private static Command CreateResume(CliHost host)
    {
        var run = new Argument<string>("RUN") { Description = "The run's folder, or its id in this workspace's run store." };
        var cmd = new Command("resume", "Continue a killed training run from its last checkpoint, with the options it started with.") { run };
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var arg = p.GetValue(run)!;
            var ws = ctx.FindWorkspace();
            using var store = ws?.OpenStore();
            var folder = Directory.Exists(ctx.ResolvePath(arg)) ? ctx.ResolvePath(arg)
                : store?.FindRun(arg)?.Folder ?? throw new CliUsageException($"'{arg}' is neither a run folder nor a run id of this workspace.");
            return Task.FromResult(RunKind(folder) switch
            {
                SftRun.Kind => Report(ctx, TrainProgressView.Run(ctx, progress => SftRun.Resume(folder, store, progress, ctx.Warn,
                    spec => ws is not null && store is not null ? GoldenSetScorer.For(ws, store, spec)
                        : throw new CliUsageException($"{folder} scores its checkpoints on {spec}: resume it inside its workspace."), ct))),
                DpoRun.Kind or DpoRun.TwoStageKind => TrainDpoCommand.Report(ctx, TrainProgressView.Run(ctx, progress => DpoRun.Resume(folder, store, progress, ctx.Warn, ct))),
                Hone.Training.Rft.RftRun.Kind => TrainRftCommand.Resume(ctx, folder, store, ct),
                var other => throw new CliUsageException($"{folder}: runs of kind '{other}' cannot be resumed by this Hone."),
            });
        });
        return cmd;
    }

    /// <summary>The kind a run folder's manifest records (sft, dpo, sft-then-dpo, rft).</summary>
    private static string RunKind(string folder)
    {
        var manifest = Path.Combine(folder, RunFolder.ManifestFile);
        if (!File.Exists(manifest)) throw new CliUsageException($"{folder} has no {RunFolder.ManifestFile}: it is not a Hone training run folder.");
        return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))?["kind"]?.GetValue<string>()
            ?? throw new CliUsageException($"{manifest} records no run kind.");
    }

    /// <summary>What --on-overflow did, per data set, as the JSON output shows it.</summary>
    internal static Dictionary<string, object> OverflowJson(IReadOnlyList<OverflowReport> reports) =>
        reports.ToDictionary(r => r.Set, r => (object)new
        {
            policy = OverflowPolicies.Name(r.Policy), context = r.Limit, examples = r.Total, dropped = r.Dropped, truncated = r.Truncated,
            entries = r.Entries.Select(e => new { where = e.Where, tokens = e.Tokens, action = e.Truncated ? "truncated" : "dropped", detail = e.Detail }),
        });

    private static int Report(CliContext ctx, SftRunResult r)
    {
        var s = r.Result;
        ctx.WriteJson(new
        {
            run = r.RunId,
            folder = r.RunFolder,
            epochs = s.Epochs,
            batch_size = s.BatchSize,
            steps = s.Steps,
            learning_rate = s.LearningRate,
            train_examples = r.TrainExamples,
            valid_examples = r.ValidExamples,
            seconds = r.Seconds,
            results_csv = s.ResultsCsvPath,
            chart = s.ChartPath,
            resumed_from_epoch = s.ResumedFromEpoch,
            final = s.History.Count > 0 ? s.History[^1] : null,
            epochs_metrics = s.EpochHistory,
            golden_scores = s.GoldenScores,
            best_checkpoint = s.Best,
            diagnosis = s.Findings.Select(f => new { kind = f.Kind.ToString(), message = f.Message, suggestion = f.Suggestion }),
            overflow = OverflowJson(r.Overflow),
            warnings = r.Warnings,
        });
        ctx.Console.MarkupLine($"[green]Trained[/] {r.TrainExamples} examples × {s.Epochs} epochs = {s.Steps} steps (batch {s.BatchSize}, lr {s.LearningRate:0.##e0}) in {r.Seconds:0.0} s" +
            (s.ResumedFromEpoch > 0 ? $", resumed after epoch {s.ResumedFromEpoch}" : ""));
        ctx.Console.MarkupLine($"loss {Markup.Escape(s.LossSparkline)}");
        if (s.EpochHistory.Count > 0)
        {
            var t = new Table().AddColumns("epoch", "step", "full_valid_loss", "full_valid_mean_token_accuracy");
            foreach (var e in s.EpochHistory)
                t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture),
                    e.FullValidLoss.ToString("0.0000", CultureInfo.InvariantCulture), e.FullValidAccuracy.ToString("0.000", CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
        }
        if (s.GoldenScores.Count > 0)
        {
            var g = new Table().AddColumns("epoch", "step", "golden_accuracy", "95% CI", "");
            foreach (var e in s.GoldenScores)
                g.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(e.Accuracy),
                    $"{EvalCommands.Pct(e.Low)}–{EvalCommands.Pct(e.High)}", s.Best?.Epoch == e.Epoch ? "best (kept)" : "");
            ctx.Console.Write(g);
        }
        DiagnosisView.Print(ctx.Console, s.Findings, s.History.Count);
        ctx.Console.MarkupLine($"run folder {Markup.Escape(r.RunFolder)} (results.csv, chart.svg, checkpoints/, run.json)");
        r.Model.Dispose();
        return ExitCodes.Success;
    }
}
