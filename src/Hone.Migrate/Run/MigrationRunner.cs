using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Graders;
using Hone.Migrate.Capture;
using Hone.Migrate.Plan;
using Hone.Models.Chat;
using Hone.Store;
using Hone.Training.Dpo;
using Hone.Training.Export;
using Hone.Training.Runs;
using Hone.Training.Sft;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Run;

/// <summary>One round of the run.</summary>
/// <param name="Round">1-based.</param>
/// <param name="TrainExamples">Examples trained on (captured + synthesised).</param>
/// <param name="Synthesized">Synthesised examples added before this round.</param>
/// <param name="DpoPairs">Preference pairs (hosted answer over the open model's losing one) trained with DPO in this round.</param>
/// <param name="Agreement">Held-out agreement after the round (every grader passes).</param>
/// <param name="PerGrader">Held-out pass rate per grader.</param>
/// <param name="Seconds">Wall time of the round.</param>
/// <param name="Model">The round's model folder.</param>
/// <param name="TrainingRun">The SFT run folder.</param>
public sealed record RoundResult(int Round, int TrainExamples, int Synthesized, int DpoPairs, double Agreement,
    IReadOnlyDictionary<string, double> PerGrader, double Seconds, string Model, string TrainingRun);

/// <summary>What <c>hone migrate run</c> did.</summary>
/// <param name="BaseModel">The open base model.</param>
/// <param name="BaseAgreement">Held-out agreement of the base model.</param>
/// <param name="Rounds">The rounds.</param>
/// <param name="Best">The round whose model was kept.</param>
/// <param name="Target">The target agreement.</param>
/// <param name="Reached">Whether the target was reached.</param>
/// <param name="StopReason">target, budget or rounds.</param>
/// <param name="Model">The kept model's folder.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record MigrateRunResult(string BaseModel, double BaseAgreement, IReadOnlyList<RoundResult> Rounds, int Best, double Target,
    bool Reached, string StopReason, string Model, double Seconds);

/// <summary>Progress of a run, for the CLI.</summary>
public sealed record RunProgress(string Phase, int Round, int Done, int Total);

/// <summary>
/// Distils the capture into an open model with the workflow's loop: evaluate the base model on the held-out cases;
/// then each round trains (SFT on the captured answers, plus any synthesised ones; a later round continues from the
/// round before), evaluates held-out agreement, optionally trains DPO on pairs where the open model's answer lost to the
/// hosted one, and stops at the target agreement, at the budget or after the last round; between rounds the teacher
/// (the hosted model) writes and answers new inputs like the failing ones. The best round's model is kept in the
/// migration folder's <c>model/</c>.
/// </summary>
public sealed class MigrationRunner(MigrationFolder folder, MigrateRunOptions options)
{
    private readonly MigrateRunOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();

    /// <summary>Builds the model graders' judges (null: model graders unavailable).</summary>
    public Func<string, IChatClient>? Judge { get; init; }

    /// <summary>Writes new inputs for failures between rounds (null: no synthesis).</summary>
    public IInputSynthesizer? Synthesizer { get; init; }

    /// <summary>Answers synthesised inputs (the hosted model, with the capture's settings); needed with <see cref="Synthesizer"/>.</summary>
    public IChatClient? Teacher { get; init; }

    /// <summary>Runs the loop.</summary>
    public async Task<MigrateRunResult> RunAsync(RunStore? store, IProgress<RunProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var clock = Stopwatch.StartNew();
        var plan = MigrationFolder.ReadJson(folder.PlanFile, "plan");
        var baseModel = _options.Model ?? (string?)plan["chosen"]
            ?? throw new MigrateException("The plan found no usable base model: give --model DIR (or plan again with --candidates DIR).");
        if (!Directory.Exists(baseModel) && !File.Exists(baseModel)) throw new MigrateException($"--model {baseModel} not found.");
        var graders = AgreementEval.Graders(plan["graders"] as JsonArray ?? throw new MigrateException($"{folder.PlanFile}: no graders."), Judge);
        var heldOut = CaptureFile.Read(folder.HeldOutFile);
        var heldIds = heldOut.Select(h => h.Id).ToHashSet(StringComparer.Ordinal);
        var train = CaptureFile.Read(folder.CaptureFile).Where(c => !heldIds.Contains(c.Id)).ToList();
        if (heldOut.Count == 0 || train.Count == 0) throw new MigrateException($"{folder.Root}: the plan's split is empty; run `hone migrate plan` again.");
        var target = _options.Target ?? (double?)plan["target"] ?? 0.9;
        var epochs = _options.Epochs ?? (int?)plan["epochs"] ?? 8;
        var captureSettings = SamplingSettings.FromJson(heldOut[0].Line["source"]?["settings"]);
        var maxTokens = _options.MaxTokens ?? captureSettings.MaxTokens ?? 256;
        if (Directory.Exists(folder.RunDir)) Directory.Delete(folder.RunDir, recursive: true);
        Directory.CreateDirectory(folder.RunDir);

        // The base model on the held-out cases.
        List<CaseOutcome> baseOutcomes;
        using (var baseClient = LocalChatClient.Load(baseModel, _options.Tokenizer, _options.Template))
            baseOutcomes = await Eval(baseClient, heldOut, graders, maxTokens, "base model", 0, progress, ct).ConfigureAwait(false);
        AgreementEval.Write(Path.Combine(folder.RunDir, "heldout-base.jsonl"), baseOutcomes);

        var rounds = new List<RoundResult>();
        var synthesized = new List<JsonObject>();
        string start = baseModel;
        string? startTemplate = _options.Template;
        int best = 0;
        double bestAgreement = -1;
        List<CaseOutcome>? bestOutcomes = null;
        string stop = "rounds";
        for (int round = 1; round <= _options.MaxRounds; round++)
        {
            var roundClock = Stopwatch.StartNew();
            var dir = Path.Combine(folder.RunDir, $"round-{round}");
            Directory.CreateDirectory(dir);
            var trainFile = Path.Combine(dir, "train.jsonl");
            AtomicFile.WriteText(trainFile, w =>
            {
                foreach (var c in train) w.WriteLine(Planner.TrainLine(c).ToJsonString());
                foreach (var s in synthesized) w.WriteLine(s.ToJsonString());
            });
            progress?.Report(new RunProgress("training", round, 0, 0));
            var sft = SftRun.Start(new SftRunOptions
            {
                ModelPath = start,
                TokenizerPath = round == 1 ? _options.Tokenizer : null,
                Template = startTemplate,
                TrainFile = trainFile,
                Threads = _options.Threads,
                Trainer = new SftOptions
                {
                    Method = _options.Method, Epochs = epochs, BatchSize = _options.BatchSize, MicroBatchSize = Math.Min(_options.BatchSize, 8),
                    LearningRateMultiplier = _options.LrMultiplier, Seed = _options.Seed + round - 1, EvalEvery = 0, KeepCheckpoints = 1,
                },
                Lora = new Hone.Models.Train.LoraOptions { Rank = _options.LoraRank, Alpha = 2 * _options.LoraRank, Seed = _options.Seed, TargetModules = ["all-linear"] },
            }, Path.Combine(dir, "sft"), store, null, null, ct);
            var modelDir = Path.Combine(dir, "model");
            List<CaseOutcome> outcomes;
            using (var client = new LocalChatClient(sft.Model, sft.Encoder, ownsModel: true))
                outcomes = await Eval(client, heldOut, graders, maxTokens, "held-out cases", round, progress, ct).ConfigureAwait(false);
            Exporter.Export(sft.RunFolder, new ExportOptions { Format = ExportFormat.Merged, Output = modelDir, Force = true });

            int pairs = 0;
            List<CaseOutcome>? trainOutcomes = null;
            if (_options.Dpo || (Synthesizer is not null && _options.Synthesize > 0))
            {
                using var client = LocalChatClient.Load(modelDir);
                trainOutcomes = await Eval(client, train, graders, maxTokens, "training cases", round, progress, ct).ConfigureAwait(false);
            }
            if (_options.Dpo && trainOutcomes!.Where(o => !o.Pass && o.Output.Trim() != o.Reference.Trim()).ToList() is { Count: > 0 } lost)
            {
                pairs = lost.Count;
                var pairsFile = Path.Combine(dir, "pairs.jsonl");
                AtomicFile.WriteText(pairsFile, w =>
                {
                    foreach (var o in lost) w.WriteLine(PairLine(train.First(c => c.Id == o.Id), o).ToJsonString());
                });
                progress?.Report(new RunProgress("DPO", round, 0, pairs));
                var dpo = DpoRun.Start(new DpoRunOptions
                {
                    ModelPath = modelDir, PairsFile = pairsFile, Threads = _options.Threads,
                    Trainer = new DpoOptions
                    {
                        Method = _options.Method, Epochs = Math.Max(1, epochs / 4), BatchSize = Math.Min(_options.BatchSize, pairs),
                        LearningRateMultiplier = _options.LrMultiplier, Seed = _options.Seed, EvalEvery = 0, KeepCheckpoints = 1,
                    },
                }, Path.Combine(dir, "dpo"), store);
                List<CaseOutcome> after;
                using (var client = new LocalChatClient(dpo.Model, dpo.Encoder, ownsModel: true))
                    after = await Eval(client, heldOut, graders, maxTokens, "held-out cases after DPO", round, progress, ct).ConfigureAwait(false);
                if (AgreementEval.Agreement(after) >= AgreementEval.Agreement(outcomes))
                {
                    outcomes = after;
                    Exporter.Export(dpo.RunFolder, new ExportOptions { Format = ExportFormat.Merged, Output = modelDir, Force = true });
                }
            }

            var agreement = AgreementEval.Agreement(outcomes);
            AgreementEval.Write(Path.Combine(dir, "heldout.jsonl"), outcomes);
            rounds.Add(new RoundResult(round, train.Count + synthesized.Count, synthesized.Count, pairs, agreement,
                graders.ToDictionary(g => g.Name, g => outcomes.Count(o => o.Passes[g.Name]) / (double)outcomes.Count, StringComparer.Ordinal),
                roundClock.Elapsed.TotalSeconds, modelDir, sft.RunFolder));
            if (agreement > bestAgreement)
            {
                (best, bestAgreement, bestOutcomes) = (round, agreement, outcomes);
            }
            if (agreement >= target) { stop = "target"; break; }
            if (clock.Elapsed.TotalSeconds >= _options.BudgetSeconds) { stop = "budget"; break; }
            if (round == _options.MaxRounds) break;

            if (Synthesizer is not null && Teacher is not null && _options.Synthesize > 0)
            {
                var failing = trainOutcomes!.Where(o => !o.Pass).Take(_options.SynthesizeCases).Select(o => train.First(c => c.Id == o.Id).Input).ToList();
                progress?.Report(new RunProgress("synthesising", round, 0, failing.Count * _options.Synthesize));
                foreach (var input in await Synthesizer.SynthesizeAsync(failing, _options.Synthesize, round, ct).ConfigureAwait(false))
                {
                    var answer = await Teacher.GetResponseAsync(input.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList(),
                        new ChatOptions { Temperature = (float?)captureSettings.Temperature, TopP = (float?)captureSettings.TopP, MaxOutputTokens = captureSettings.MaxTokens, Seed = captureSettings.Seed },
                        ct).ConfigureAwait(false);
                    var messages = input.MessagesJson();
                    messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = answer.Text });
                    synthesized.Add(new JsonObject { ["id"] = input.Id, ["messages"] = messages, ["tags"] = new JsonArray([.. input.Tags.Select(t => (JsonNode)t)]) });
                }
                AtomicFile.WriteText(Path.Combine(folder.RunDir, "synthesized.jsonl"), w =>
                {
                    foreach (var s in synthesized) w.WriteLine(s.ToJsonString());
                });
            }
            start = modelDir; // the next round continues from this one
            startTemplate = null; // the exported folder carries the template it trained with
        }

        var kept = rounds[best - 1].Model;
        if (Directory.Exists(folder.ModelDir)) Directory.Delete(folder.ModelDir, recursive: true);
        CopyDirectory(kept, folder.ModelDir);
        AgreementEval.Write(Path.Combine(folder.RunDir, "heldout-best.jsonl"), bestOutcomes!);
        var result = new MigrateRunResult(baseModel, AgreementEval.Agreement(baseOutcomes), rounds, best, target, bestAgreement >= target, stop,
            folder.ModelDir, clock.Elapsed.TotalSeconds);
        var json = JsonSerializer.SerializeToNode(result, CaptureFile.JsonOptions)!.AsObject();
        json["format"] = "hone-migrate-run/1";
        json["finished_at"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        json["base_per_grader"] = JsonSerializer.SerializeToNode(graders.ToDictionary(g => g.Name, g => baseOutcomes.Count(o => o.Passes[g.Name]) / (double)baseOutcomes.Count));
        json["options"] = JsonSerializer.SerializeToNode(_options, CaptureFile.JsonOptions);
        MigrationFolder.WriteJson(folder.RunFile, json);
        return result;
    }

    private static async Task<List<CaseOutcome>> Eval(IChatClient client, IReadOnlyList<CapturedCase> cases, IReadOnlyList<IGrader> graders, int maxTokens,
        string what, int round, IProgress<RunProgress>? progress, CancellationToken ct) =>
        await AgreementEval.RunAsync(client, cases, graders, maxTokens, new Progress<int>(n => progress?.Report(new RunProgress(what, round, n, cases.Count))), ct)
            .ConfigureAwait(false);

    private static JsonObject PairLine(CapturedCase c, CaseOutcome lost) => new()
    {
        ["input"] = new JsonObject { ["messages"] = c.Input.MessagesJson() },
        ["preferred_output"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = c.Reference }),
        ["non_preferred_output"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = lost.Output }),
    };

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        foreach (var d in Directory.EnumerateDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
