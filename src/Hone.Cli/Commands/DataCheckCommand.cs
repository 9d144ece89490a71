using Hone.App.Training;
using System.CommandLine;
using Hone.App.Data;
using Hone.Data.Model;

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
            var report = DataCheck.Run(new DataCheckRequest
            {
                File = p.GetValue(file)!,
                WorkingDirectory = ctx.WorkingDirectory,
                Kind = ParseKind(p.GetValue(kind)!),
                Model = p.GetValue(model),
                Tokenizer = local.TokenizerPath(p, ctx),
                Template = local.TemplateName(p),
                ContextLimit = p.GetValue(contextLimit),
                Epochs = TrainText.AutoCount(p.GetValue(epochs)!, "--epochs"),
                PricePer1M = p.GetValue(price),
                PriceModel = p.GetValue(priceModel),
                Valid = p.GetValue(valid),
                NearDuplicateThreshold = p.GetValue(nearDup),
                FindNearDuplicates = !p.GetValue(noNear),
            });
            if (ctx.Json) ctx.Stdout.WriteLine(report.ToJson());
            else DataCheckView.Render(ctx.Console, report, p.GetValue(maxShown));
            return report.ExitCode;
        });
        return cmd;
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
}
