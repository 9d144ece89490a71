using System.Globalization;
using Hone.App.Demo;
using Hone.Evals.Runs;
using Hone.Training.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// What <c>hone demo</c> prints: each step as <see cref="DemoLoop"/> reports it, a progress bar (or a few log lines) for
/// the long phases, and at the end the before/after table, the curves, side-by-side examples and the phase times.
/// Silent with --json.
/// </summary>
internal sealed class DemoView(CliContext ctx) : IDemoObserver
{
    private string _root = "";

    private IAnsiConsole Console => ctx.Console;

    public void Report(DemoEvent e)
    {
        var console = Console;
        switch (e)
        {
            case DemoStarted s:
                _root = s.Workspace;
                console.Write(new Rule("[bold]Hone demo[/]: extract orders from sentences into JSON").LeftJustified());
                console.MarkupLine($"workspace {Markup.Escape(s.Workspace)}");
                break;
            case DemoTaskGenerated g:
                console.MarkupLine($"[green]1[/] generated {g.Examples} training examples → {Rel(g.TrainPath)} and a golden set of {g.GoldenCases} → {Rel(g.GoldenPath)}");
                break;
            case DemoPlantedChecked { Report: var r }:
                console.MarkupLine($"[green]2[/] data check on a copy with planted problems: {r.Errors} errors, {r.Warnings} warnings");
                foreach (var (code, count) in r.CountsByCode.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    console.MarkupLine($"    {Markup.Escape(code)} × {count}");
                break;
            case DemoCleanChecked { Report: var r }:
                var tokens = r.Tokens!;
                console.MarkupLine($"[green]3[/] data check on the clean set: {r.Errors} errors, {r.Warnings} warnings; tokens/example " +
                    $"median {tokens.Median:0} (p5 {tokens.P5:0}, p95 {tokens.P95:0}, {Markup.Escape(tokens.Counter)})");
                if (r.Cost is { } cost)
                    console.MarkupLine($"    hosted fine-tune estimate: {cost.Epochs} epochs × {cost.BilledTokensPerEpoch:N0} tokens" +
                        (cost.EstimatedUsd is { } usd ? $" ≈ ${usd:0.00} ({Markup.Escape(cost.PriceSource ?? "")})" : "") + "; on this machine: $0");
                break;
            case DemoSplitDone sp:
                console.MarkupLine("[green]4[/] split: " + string.Join(", ", sp.Parts.Select(x => $"{x.Name} {x.Count} → {Rel(x.Path)}")));
                console.MarkupLine("    data ladder (nested subsets to measure the gain of doubling the data): " +
                    string.Join(", ", sp.Ladder.Select(r => r.ToString(CultureInfo.InvariantCulture))));
                break;
            case DemoStopped:
                console.MarkupLine("[red]The clean set has errors; the demo stops before training.[/]");
                break;
            case DemoBaseModelReady { Model: var m }:
                console.MarkupLine(!m.Builtin ? $"[green]5[/] base model {Markup.Escape(m.Path)}"
                    : $"[green]5[/] base model {Rel(m.Path)}: Llama, {m.Parameters:N0} parameters, vocabulary {m.VocabSize} (BPE learned from the domain text); " +
                    (m.Cached == true ? "reused (built by an earlier demo in this workspace)" :
                        $"pretrained on {m.PretrainTokens:N0} tokens of domain text in {m.PretrainSteps} steps, loss {m.PretrainLossFirst:0.00} → {m.PretrainLossFinal:0.00}, {m.PretrainSeconds:0.0} s"));
                break;
            case DemoScored sc:
                var x = sc.Score;
                console.MarkupLine($"[green]{(sc.Tuned ? 8 : 6)}[/] {(sc.Tuned ? "tuned" : "base")} model on the golden set: {x.Passed}/{x.Cases} exact ({x.Accuracy:P0}), " +
                    $"fields {x.FieldMean:P0}, {x.ValidJson:P0} valid JSON, {x.Seconds:0.0} s");
                break;
            case DemoPromptVariantsDone v:
                var one = v.Result.Variants[^1];
                console.MarkupLine($"[green]6b[/] prompt variants on the base model ({v.Cases} golden cases, as 'hone prompt variants orders --variant orders.one-shot'): " +
                    $"direct {one.VsDirect!.AccuracyA:P0}, one-shot {one.Accuracy:P0} (Δ {one.VsDirect.Difference * 100:+0;-0;0} points, McNemar p {one.VsDirect.McNemarP:0.###}); " +
                    $"recommended: {Markup.Escape(v.Result.Recommended)}");
                break;
            case DemoScaled { Scaling: var sc2 }:
                var (half, all) = (sc2.Rungs[0], sc2.Rungs[^1]);
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"[green]9[/] doubling the data ({half.Size} → {all.Size} examples, same settings): golden accuracy {half.Accuracy * 100:0.0}% → {all.Accuracy * 100:0.0}%, " +
                    $"measured gain {sc2.GainPerDoubling * 100:+0.0;-0.0} points (95% CI {sc2.GainLow * 100:+0.0;-0.0} to {sc2.GainHigh * 100:+0.0;-0.0}); " +
                    $"extrapolated at {2 * all.Size}: {sc2.PredictedAtDouble * 100:0.0}% → {Rel(sc2.Chart)}"));
                break;
            case DemoFineTuned { FineTune: var f }:
                console.MarkupLine($"[green]7[/] LoRA fine-tune (rank {f.LoraRank}, all linear layers): {f.TrainExamples} examples × {f.Epochs} epochs = {f.Steps} steps, " +
                    $"lr {f.LearningRate:0.##e0}, {f.Seconds:0.0} s → {Rel(f.Folder)}");
                if (f.GoldenScores.Count > 0)
                    console.MarkupLine("    checkpoints on the golden set: " + string.Join(", ", f.GoldenScores.Select(g =>
                        string.Create(CultureInfo.InvariantCulture, $"epoch {g.Epoch} {g.Accuracy * 100:0.0}%") + (g.Epoch == f.Best?.Epoch ? " [green](best)[/]" : ""))));
                if (f.Export is { } exported)
                    console.MarkupLine($"    exported epoch {exported.Epoch} ({Markup.Escape(exported.ChosenBy)}) as a LoRA adapter → {Rel(exported.Path)}");
                break;
        }
    }

    public T Train<T>(string what, Func<IProgress<TrainingProgress>, T> work) => DemoProgress.Run(ctx, what, work);

    public Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work) => DemoProgress.CountAsync(ctx, what, work);

    /// <summary>The before/after table, the curves, three cases side by side and the phase times.</summary>
    public void PrintSummary(DemoResult r) => DemoSummaryView.Print(Console, r, _root);

    private string Rel(string path) => Markup.Escape(Path.GetRelativePath(_root, path));
}
