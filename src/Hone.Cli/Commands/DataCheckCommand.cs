using System.CommandLine;
using System.Globalization;
using Hone.Data.Checks;
using Hone.Data.Cost;
using Hone.Data.Model;
using Hone.Data.Tokens;
using Hone.Formats.Inspection;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data check FILE</c>: format, token, duplicate, balance, leakage and cost checks.</summary>
public static class DataCheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var file = new Argument<string>("FILE") { Description = "JSONL training file (chat SFT, preference/DPO, reinforcement/RFT or prompt/completion)." };
        var kind = new Option<string>("--kind") { Description = "What the file holds: sft, dpo, rft, prompt-completion or auto (detected).", DefaultValueFactory = _ => "auto" };
        kind.AcceptOnlyFromAmong("auto", "sft", "dpo", "rft", "prompt-completion");
        var model = new Option<string?>("--model") { Description = "A local model (" + ModelCliOptions.LocalModelKinds + "; real token counts with its tokenizer and chat template) or a model name of the price table (context limit and price); a path that does not exist is an error." };
        var local = ModelCliOptions.ForLocalModelsOf();
        var contextLimit = new Option<int?>("--context-limit") { Description = "Context limit in tokens (overrides the model's)." };
        var epochs = new Option<string>("--epochs") { Description = "Epochs for the cost estimate: auto or N.", DefaultValueFactory = _ => "auto" };
        var price = new Option<decimal?>("--price-per-1m") { Description = "Training price in dollars per 1M tokens." };
        var priceModel = new Option<string?>("--price-model") { Description = "Take the price of this model from the price table (hone.yaml's price_table, else the built-in one)." };
        var valid = new Option<string?>("--valid") { Description = "Validation file: report examples that leak between it and FILE." };
        var nearDup = new Option<double>("--near-dup-threshold") { Description = "Jaccard similarity (MinHash estimate) at which two examples count as near-duplicates.", DefaultValueFactory = _ => 0.8 };
        var noNear = new Option<bool>("--no-near-duplicates") { Description = "Skip the near-duplicate search (MinHash of every example): faster on big files; exact duplicates are still found." };
        var maxShown = new Option<int>("--show") { Description = "Findings to print in the report (all are in --json).", DefaultValueFactory = _ => 40 };
        var cmd = new Command("check", "Check a training file before spending anything on it: format errors (OpenAI cookbook names and more), " +
            "token counts and limits, duplicates, contradictions, balance, system prompts, leakage and a cost estimate. Exit 1 when errors are found.")
        {
            file, kind, model, contextLimit, epochs, price, priceModel, valid, nearDup, noNear, maxShown,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx) =>
        {
            var path = ctx.ResolvePath(p.GetValue(file)!);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.");
            if (p.GetValue(price) is not null && p.GetValue(priceModel) is not null)
                throw new CliUsageException("Give --price-per-1m or --price-model, not both.");
            var options = new DataCheckOptions
            {
                Kind = ParseKind(p.GetValue(kind)!),
                Epochs = ParseEpochs(p.GetValue(epochs)!),
                PricePer1M = p.GetValue(price),
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                NearDuplicateThreshold = p.GetValue(nearDup),
                FindNearDuplicates = !p.GetValue(noNear),
                ContextLimit = p.GetValue(contextLimit),
                PriceTable = LoadPriceTable(ctx),
                Model = p.GetValue(priceModel),
            };
            if (p.GetValue(model) is { } m)
            {
                var modelPath = ctx.ResolvePath(ModelReference.ExpandHome(m));
                if (Directory.Exists(modelPath) || File.Exists(modelPath))
                {
                    var encoder = local.For(modelPath, p, ctx).LoadEncoder();
                    var info = ModelInspector.Inspect(modelPath);
                    options = options with
                    {
                        TokenCounter = new ChatTemplateTokenCounter(encoder, Path.GetFileName(modelPath.TrimEnd('/'))),
                        ContextLimit = options.ContextLimit ?? info.ContextLength,
                        ContextLimitSource = options.ContextLimit is null ? $"context length of the model {Path.GetFileName(modelPath.TrimEnd('/'))}" : null,
                    };
                }
                else
                {
                    ModelReference.EnsureName(m, modelPath, options.PriceTable ?? PriceTable.Default, "--model");
                    options = options with { Model = options.Model ?? m };
                }
            }
            if (p.GetValue(priceModel) is { } pm) ModelReference.EnsureKnown(pm, options.PriceTable ?? PriceTable.Default, "--price-model");
            options.Validate();
            var report = new DataChecker(options).Check(path);
            if (ctx.Json) ctx.Stdout.WriteLine(report.ToJson());
            else Render(ctx.Console, report, p.GetValue(maxShown));
            return report.ExitCode;
        });
        return cmd;
    }

    internal static PriceTable? LoadPriceTable(CliContext ctx)
    {
        var ws = ctx.FindWorkspace();
        if (ws is null || ws.Config.PriceTable == "builtin") return null;
        return PriceTable.Load(Path.Combine(ws.Root, ws.Config.PriceTable));
    }

    internal static DataKind? ParseKind(string s) => s switch
    {
        "auto" => null,
        "sft" => DataKind.Sft,
        "dpo" => DataKind.Dpo,
        "rft" => DataKind.Rft,
        "prompt-completion" => DataKind.PromptCompletion,
        _ => throw new CliUsageException($"--kind '{s}' is not one of auto, sft, dpo, rft, prompt-completion."),
    };

    internal static int? ParseEpochs(string s) =>
        s == "auto" ? null
        : int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
        : throw new CliUsageException($"--epochs '{s}' must be 'auto' or a whole number of at least 1.");

    private static void Render(IAnsiConsole console, DataCheckReport r, int maxShown)
    {
        var verdict = r.HasErrors ? "[red]errors found[/]" : r.Warnings > 0 ? "[yellow]no errors, some warnings[/]" : "[green]no problems found[/]";
        console.MarkupLine($"[bold]{Markup.Escape(r.File)}[/]: {r.Examples:N0} {r.Kind} examples{(r.KindDetected ? " (kind detected)" : "")}, {r.Lines:N0} lines, {r.Bytes:N0} bytes — {verdict}");
        console.MarkupLine($"  {r.Errors} errors, {r.Warnings} warnings, {r.Infos} notes");
        if (r.CountsByCode.Count > 0)
        {
            var codes = new Table().Title("findings by code").AddColumns("code", "count");
            foreach (var (code, count) in r.CountsByCode.OrderByDescending(kv => kv.Value)) codes.AddRow(Markup.Escape(code), count.ToString("N0", CultureInfo.InvariantCulture));
            console.Write(codes);
            var findings = new Table().AddColumns("severity", "where", "code", "message", "fix");
            foreach (var f in r.Findings.Take(maxShown))
            {
                var color = f.Severity switch { FindingSeverity.Error => "red", FindingSeverity.Warning => "yellow", _ => "grey" };
                var where = (f.Line is { } l ? $"line {l}" + (f.Column is { } col ? $":{col}" : "") : "file") + (f.Path is { } jp ? " " + jp : "");
                findings.AddRow($"[{color}]{f.Severity}[/]", Markup.Escape(where), Markup.Escape(f.Code), Markup.Escape(f.Message), Markup.Escape(f.Fix));
            }
            console.Write(findings);
            if (r.Findings.Count > maxShown || r.FindingsTruncated) console.MarkupLine($"  (showing {Math.Min(maxShown, r.Findings.Count)} of {r.Errors + r.Warnings + r.Infos}; --json lists all kept)");
        }
        if (r.Tokens is { } t)
        {
            var tokens = new Table().Title($"tokens per example — {Markup.Escape(t.Counter)}").AddColumns("min", "p5", "median", "mean", "p95", "max", "total", "limit", "over limit");
            tokens.AddRow(t.Min.ToString(CultureInfo.InvariantCulture), F(t.P5), F(t.Median), F(t.Mean), F(t.P95), t.Max.ToString(CultureInfo.InvariantCulture),
                t.Total.ToString("N0", CultureInfo.InvariantCulture), $"{t.ContextLimit:N0} ({Markup.Escape(t.ContextLimitSource)})", t.OverLimit.ToString(CultureInfo.InvariantCulture));
            console.Write(tokens);
            if (t.OverLimitAction is { } action) console.MarkupLine($"  [yellow]{Markup.Escape(action)}[/]");
        }
        var d = r.Dataset;
        var ds = new Table().Title("dataset").AddColumns("check", "result");
        ds.AddRow("exact duplicates", d.ExactDuplicates.ToString(CultureInfo.InvariantCulture));
        ds.AddRow("near-duplicates", d.NearDuplicates is { } nd ? $"{nd} ({Markup.Escape(d.NearDuplicateMethod ?? "")})" : "not computed (--no-near-duplicates)");
        ds.AddRow("contradictions (same input, different output)", d.Contradictions.ToString(CultureInfo.InvariantCulture));
        ds.AddRow("distinct system prompts", $"{d.DistinctSystemPrompts} ({d.ExamplesWithoutSystemPrompt} examples without one)");
        if (d.Labels is { Count: > 0 } labels)
            ds.AddRow("labels", Markup.Escape(string.Join(", ", labels.Select(l => $"{l.Label}: {l.Count}"))));
        if (d.LeakedValidExamples is { } leak) ds.AddRow("leakage into --valid", $"{leak} of {d.ValidExamples} validation examples also in training");
        console.Write(ds);
        if (r.Cost is { } c)
        {
            console.MarkupLine($"[bold]cost[/]: {c.Epochs} epochs × {c.BilledTokensPerEpoch:N0} tokens = {c.BilledTokens:N0} billed tokens" +
                (c.EstimatedUsd is { } usd ? $" ≈ [bold]${usd:0.00}[/] at ${c.PricePer1M}/1M ({Markup.Escape(c.PriceSource ?? "")})" : " (no price: give --price-per-1m or --price-model)"));
            console.MarkupLine($"  [grey]{Markup.Escape(c.Rule)}[/]");
        }
    }

    private static string F(double x) => x.ToString("0.#", CultureInfo.InvariantCulture);
}
