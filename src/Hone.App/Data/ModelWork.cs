using System.Security.Cryptography;
using System.Text;
using Hone.Evals.Providers;
using Hone.Prompting.Evaluation;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.App.Data;

/// <summary>
/// What the data commands that call models share (<c>hone data synth</c>, <c>hone data review</c>): a model's price
/// from the workspace's price table (its <c>input_per_1m</c>/<c>output_per_1m</c>), the <c>--yes</c> rule of the
/// prompting budget, the progress file keyed by the request (a killed run resumes from it), and each model wrapped in
/// the provider pipeline with that progress file as its response cache and a ledger for what was spent.
/// </summary>
internal static class ModelWork
{
    /// <summary>The inference price of <paramref name="model"/> (provider:model) and where it came from, or (null, reason).</summary>
    public static (ModelPrice? Price, string Source) PriceOf(string model, string workingDirectory)
    {
        var table = DataCheck.WorkspacePriceTable(workingDirectory) ?? Hone.Data.Cost.PriceTable.Default;
        var name = model.Contains(':', StringComparison.Ordinal) ? model[(model.IndexOf(':', StringComparison.Ordinal) + 1)..] : model;
        var p = table.Find(name);
        if (p is { InputPer1M: { } i, OutputPer1M: { } o }) return (new ModelPrice(i, o), $"{p.Model} in {table.Source}");
        return (null, $"no input_per_1m/output_per_1m for '{name}' in {table.Source}");
    }

    /// <summary>Refuses (nothing sent) when the estimate is above the workspace's prompting budget and <paramref name="yes"/> is not given.</summary>
    public static void Gate(Workspace ws, SpendEstimate estimate, bool yes)
    {
        if (BudgetGate.NeedsConfirmation(estimate, ws.Config.Prompting) is { } why && !yes)
            throw new UseCaseException($"this would spend {why}; nothing was sent. Re-run with --yes, raise the budget, or ask for fewer.");
    }

    /// <summary>The progress file of a request: beside <paramref name="anchor"/>, named by a hash of <paramref name="key"/>.</summary>
    public static string ProgressFile(string anchor, string command, string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return Path.Combine(Path.GetDirectoryName(anchor)!, $".{Path.GetFileName(anchor)}.{command}-{hash}.progress.jsonl");
    }

    /// <summary><paramref name="provider"/> behind the pipeline: the journal as its cache (replays), the ledger counting the calls that reach it.</summary>
    public static IChatClient Wrap(IChatClient provider, FileJournalCache journal, UsageLedger ledger, ModelPrice? price) =>
        ChatClientPipeline.Build(provider, new ChatClientPipelineOptions { Cache = journal, Ledger = ledger, Price = price, MaxConcurrency = 1 });

    /// <summary>What was spent, from the ledgers.</summary>
    public static SpendActual Spent(IEnumerable<(UsageLedger Ledger, bool Priced)> ledgers, TimeSpan elapsed)
    {
        long calls = 0, input = 0, output = 0;
        decimal? usd = null;
        foreach (var (l, priced) in ledgers)
        {
            calls += l.Calls;
            input += l.InputTokens;
            output += l.OutputTokens;
            if (priced) usd = (usd ?? 0) + l.Cost;
        }
        return new SpendActual(calls, input, output, usd, elapsed.TotalSeconds);
    }

    /// <summary>Tokens of a text, estimated (characters / 4).</summary>
    public static long Tokens(string text) => text.Length / 4 + 4;
}
