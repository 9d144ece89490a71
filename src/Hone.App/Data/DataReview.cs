using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Hone.App.Evals;
using Hone.Data.Checks;
using Hone.Data.Teach;
using Hone.Evals.Providers;
using Hone.Evals.Synthesis;
using Hone.Prompting.Evaluation;
using Hone.Store;

namespace Hone.App.Data;

/// <summary>What <see cref="DataReview.RunAsync"/> is asked.</summary>
public sealed record DataReviewRequest
{
    /// <summary>Where the workspace is found and relative paths are anchored.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>The SFT training file (only read).</summary>
    public required string File { get; init; }

    /// <summary>The reviewer: provider:model or local:DIR.</summary>
    public required string Reviewer { get; init; }

    /// <summary>Only estimate: no model is called.</summary>
    public bool DryRun { get; init; }

    /// <summary>Run even when the estimate is above the workspace's prompting budget.</summary>
    public bool Yes { get; init; }
}

/// <summary>The result of <see cref="DataReview.RunAsync"/>.</summary>
/// <param name="File">The file reviewed.</param>
/// <param name="Reviewer">The reviewer.</param>
/// <param name="Examples">Object lines in the file.</param>
/// <param name="Reviewed">Examples the reviewer saw (those without rule errors).</param>
/// <param name="DryRun">Whether this was only the estimate.</param>
/// <param name="Estimate">The estimate shown before any call.</param>
/// <param name="PriceSource">Where the reviewer's price came from.</param>
/// <param name="Spent">What the calls that reached the reviewer cost (null on a dry run).</param>
/// <param name="ReplayedCalls">Calls answered from the progress file of an interrupted review.</param>
/// <param name="RuleErrors">Error findings of the data check.</param>
/// <param name="RuleWarnings">Warning findings of the data check.</param>
/// <param name="Rules">The data check's error and warning findings.</param>
/// <param name="Flags">The reviewer's flags, by line.</param>
/// <param name="ProgressFile">The progress file (deleted when the review finishes).</param>
public sealed record DataReviewResult(string File, string Reviewer, int Examples, int Reviewed, bool DryRun, SpendEstimate Estimate, string PriceSource,
    SpendActual? Spent, long ReplayedCalls, long RuleErrors, long RuleWarnings, IReadOnlyList<DataFinding> Rules, IReadOnlyList<ReviewFlag> Flags, string ProgressFile)
{
    /// <summary>Whether the review found anything: a rule error or a flag.</summary>
    public bool FoundProblems => RuleErrors > 0 || Flags.Count > 0;
}

/// <summary>What <see cref="DataReview.Apply"/> is asked: the accepted fixes of a review, and the new file.</summary>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
/// <param name="Review">The review.</param>
/// <param name="Accepted">The lines whose fixes the user accepted.</param>
/// <param name="Out">The new file (never the reviewed one).</param>
public sealed record DataReviewApplyRequest(string WorkingDirectory, DataReviewResult Review, IReadOnlyList<long> Accepted, string Out);

/// <summary>The result of <see cref="DataReview.Apply"/>.</summary>
/// <param name="Output">The new file.</param>
/// <param name="Applied">Lines fixed.</param>
/// <param name="Rejected">Flagged lines left as they were.</param>
public sealed record DataReviewApplyResult(string Output, IReadOnlyList<long> Applied, IReadOnlyList<long> Rejected);

/// <summary>
/// Use case <c>hone data review</c>: the double-check of a training set. The data check's rules run over the file, and
/// a reviewer model (<see cref="ExampleReviewer"/>) sees every example without rule errors and flags wrong,
/// inconsistent or incomplete answers with a reason and a proposed fix. The estimate comes first (and the <c>--yes</c>
/// rule); a killed review resumes from its progress file. Accepted fixes are written by <see cref="Apply"/> to a new
/// file (atomically, with the review's provenance); the input is never modified.
/// </summary>
public static class DataReview
{
    /// <summary>Reviews the file; <paramref name="onEstimate"/> sees the estimate before any call.</summary>
    public static async Task<DataReviewResult> RunAsync(DataReviewRequest request, Action<SpendEstimate>? onEstimate = null, IProgress<string>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var path = Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.File));
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        var ws = Workspace.Require(request.WorkingDirectory);
        var report = new DataChecker(new DataCheckOptions { Kind = Hone.Data.Model.DataKind.Sft, FindNearDuplicates = true }).Check(path, ct);
        var withErrors = report.Findings.Where(f => f.Severity == FindingSeverity.Error && f.Line is not null).Select(f => f.Line!.Value).ToHashSet();
        var examples = new List<(long Line, JsonArray Messages)>();
        int objects = 0;
        long line = 0;
        foreach (var text in System.IO.File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { continue; } // a rule error already
            if (node is not JsonObject o) continue;
            objects++;
            if (!withErrors.Contains(line) && o["messages"] is JsonArray m) examples.Add((line, m));
        }

        var (price, priceSource) = ModelWork.PriceOf(request.Reviewer, request.WorkingDirectory);
        long input = examples.Sum(e => ModelWork.Tokens(ExampleReviewer.Instruction) + ModelWork.Tokens(e.Messages.ToJsonString()));
        long output = examples.Sum(e => 48 + ModelWork.Tokens((string?)e.Messages[^1]?["content"] ?? ""));
        var estimate = SpendEstimator.Build(examples.Count, input, output, price, 1);
        onEstimate?.Invoke(estimate);
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.IO.File.ReadAllBytes(path)));
        var progressFile = ModelWork.ProgressFile(path, "review", $"{request.Reviewer}\n{hash}");
        var rules = report.Findings.Where(f => f.Severity != FindingSeverity.Info).ToList();
        DataReviewResult Result(IReadOnlyList<ReviewFlag> flags, SpendActual? spent, long replayed) => new(path, request.Reviewer, objects, request.DryRun ? 0 : examples.Count,
            request.DryRun, estimate, priceSource, spent, replayed, report.Errors, report.Warnings, rules, flags, progressFile);
        if (request.DryRun) return Result([], null, 0);
        ModelWork.Gate(ws, estimate, request.Yes);

        using var store = ws.OpenStore();
        var resolver = EvalWorkspace.Resolver(ws, null, store, p => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p)));
        var ledger = new UsageLedger();
        var flags = new List<ReviewFlag>();
        using (var journal = new FileJournalCache(progressFile))
        {
            using var client = ModelWork.Wrap(resolver.Resolve(request.Reviewer), journal, ledger, price);
            var reviewer = new ExampleReviewer(client);
            int done = 0;
            foreach (var (l, messages) in examples)
            {
                if (await reviewer.ReviewAsync(l, messages, ct).ConfigureAwait(false) is { } flag) flags.Add(flag);
                progress?.Report($"{++done}/{examples.Count} reviewed, {flags.Count} flagged");
            }
            journal.Delete();
        }
        var spent = ModelWork.Spent([(ledger, price is not null)], clock.Elapsed);
        return Result(flags, spent, Math.Max(0, examples.Count - ledger.Calls));
    }

    /// <summary>
    /// The flagged lines an <c>--accept</c> value names: <c>all</c> (every flag with a fix), <c>none</c>, or line
    /// numbers separated by commas (each must be a flag with a fix).
    /// </summary>
    public static IReadOnlyList<long> ParseAccept(string accept, DataReviewResult review)
    {
        ArgumentNullException.ThrowIfNull(accept);
        ArgumentNullException.ThrowIfNull(review);
        var fixable = review.Flags.Where(f => f.Fix is not null).Select(f => f.Line).ToList();
        if (accept.Trim() == "all") return fixable;
        if (accept.Trim() == "none") return [];
        var lines = new List<long>();
        foreach (var part in accept.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                throw new UseCaseException($"--accept '{accept}': write all, none, or flagged line numbers separated by commas (e.g. 3,7).");
            if (!fixable.Contains(l))
                throw new UseCaseException($"--accept: line {l} has no proposed fix (flagged with fixes: {(fixable.Count == 0 ? "none" : string.Join(",", fixable))}).");
            if (!lines.Contains(l)) lines.Add(l);
        }
        return lines;
    }

    /// <summary>Writes the reviewed file with the accepted fixes to a new file (atomically); the input is never touched.</summary>
    public static DataReviewApplyResult Apply(DataReviewApplyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Out)) throw new UseCaseException("--apply needs --out NEW: the fixed copy is a new file.");
        var output = Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.Out));
        var byLine = request.Review.Flags.Where(f => f.Fix is not null).ToDictionary(f => f.Line);
        var fixes = new List<AnswerFix>();
        foreach (var l in request.Accepted)
        {
            if (!byLine.TryGetValue(l, out var f)) throw new UseCaseException($"Line {l} has no proposed fix.");
            fixes.Add(new AnswerFix(l, f.Fix!, new JsonObject
            {
                ["source"] = "hone data review",
                ["reviewer"] = request.Review.Reviewer,
                ["verdict"] = f.Verdict,
                ["reason"] = f.Reason,
                ["replaced"] = f.Answer,
            }));
        }
        FixedCopy.Write(request.Review.File, output, fixes);
        return new DataReviewApplyResult(output, [.. request.Accepted], [.. request.Review.Flags.Select(f => f.Line).Where(l => !request.Accepted.Contains(l))]);
    }
}
