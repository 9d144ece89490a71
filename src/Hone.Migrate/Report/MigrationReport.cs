using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Compare;
using Hone.Migrate.Capture;
using Hone.Migrate.Run;

namespace Hone.Migrate.Report;

/// <summary>A rate with its 95% Wilson interval.</summary>
public sealed record Rate(int Passed, int Cases, double Value, double Low, double High)
{
    /// <summary>The rate of <paramref name="passed"/> in <paramref name="cases"/>.</summary>
    public static Rate Of(int passed, int cases)
    {
        var p = cases == 0 ? 0 : passed / (double)cases;
        var ci = EvalStatistics.Wilson(p, cases);
        return new Rate(passed, cases, p, ci.Low, ci.High);
    }
}

/// <summary>Agreement of the base and the tuned open model with the hosted model, for one grader or one tag.</summary>
public sealed record AgreementRow(string Name, Rate Base, Rate Tuned);

/// <summary>Latency of answering one request on this machine.</summary>
public sealed record Latency(double MeanMs, double P50Ms, double P95Ms, int Requests)
{
    /// <summary>Summarises <paramref name="ms"/>.</summary>
    public static Latency Of(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) return new Latency(0, 0, 0, 0);
        var sorted = ms.Order().ToArray();
        double Pct(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Latency(Math.Round(ms.Average(), 2), Math.Round(Pct(0.5), 2), Math.Round(Pct(0.95), 2), ms.Count);
    }
}

/// <summary>Cost of 1,000 requests: dollars where known, tokens, and compute time.</summary>
/// <param name="HostedUsd">The hosted model's dollars per 1,000 requests (from the captured usage and price), or null when the price is unknown.</param>
/// <param name="HostedTokens">Tokens per 1,000 requests on the hosted model (input + output).</param>
/// <param name="LocalUsd">The open model's dollars per 1,000 requests: no API bill; machine time × --machine-usd-per-hour when given, else 0.</param>
/// <param name="LocalComputeSeconds">Seconds of this machine per 1,000 requests (one at a time).</param>
public sealed record CostPer1000(decimal? HostedUsd, long HostedTokens, decimal LocalUsd, double LocalComputeSeconds);

/// <summary>A case where the tuned open model still disagrees with the hosted one.</summary>
public sealed record Difference(string Id, IReadOnlyList<string> Tags, string Input, string Hosted, string Open, string BaseOpen, IReadOnlyDictionary<string, double> Scores);

/// <summary>The report's figures.</summary>
public sealed record ReportData(
    string Source, string BaseModel, string TunedModel, int HeldOut, double Target, bool Reached, string StopReason, int Rounds,
    Rate BaseAgreement, Rate TunedAgreement, IReadOnlyList<AgreementRow> PerGrader, IReadOnlyList<AgreementRow> PerTag,
    int Fixed, int Regressed, double McNemarP, CostPer1000 Cost, Latency HostedLatency, Latency BaseLatency, Latency TunedLatency,
    IReadOnlyList<Difference> Differences, IReadOnlyList<RoundResult> RoundResults, string GradersReason, string GeneratedAt);

/// <summary>Builds <c>hone migrate report</c>: the figures (JSON) and the self-contained HTML.</summary>
public static class MigrationReport
{
    /// <summary>Computes the report from the migration folder's capture, plan and run.</summary>
    public static ReportData Build(MigrationFolder folder, decimal machineUsdPerHour = 0)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var capture = CaptureFile.Require(folder);
        var plan = MigrationFolder.ReadJson(folder.PlanFile, "plan");
        var run = MigrationFolder.ReadJson(folder.RunFile, "run");
        var result = JsonSerializer.Deserialize<MigrateRunResult>(run.ToJsonString(), CaptureFile.JsonOptions)
            ?? throw new MigrateException($"{folder.RunFile}: unreadable; run `hone migrate run` again.");
        var baseOut = AgreementEval.Read(Path.Combine(folder.RunDir, "heldout-base.jsonl"));
        var tuned = AgreementEval.Read(Path.Combine(folder.RunDir, "heldout-best.jsonl"));
        var baseById = baseOut.ToDictionary(o => o.Id, StringComparer.Ordinal);
        if (tuned.Any(t => !baseById.ContainsKey(t.Id))) throw new MigrateException($"{folder.RunDir}: the base and tuned outcomes cover different cases; run `hone migrate run` again.");

        var graders = tuned.Count == 0 ? [] : tuned[0].Passes.Keys.ToList();
        var perGrader = graders.Select(g => new AgreementRow(g, Rate.Of(baseOut.Count(o => o.Passes[g]), baseOut.Count), Rate.Of(tuned.Count(o => o.Passes[g]), tuned.Count))).ToList();
        var tags = tuned.SelectMany(t => t.Tags.Count == 0 ? ["(untagged)"] : t.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var perTag = tags.Select(tag =>
        {
            bool Has(CaseOutcome o) => o.Tags.Count == 0 ? tag == "(untagged)" : o.Tags.Contains(tag);
            var t = tuned.Where(Has).ToList();
            return new AgreementRow(tag, Rate.Of(t.Count(o => baseById[o.Id].Pass), t.Count), Rate.Of(t.Count(o => o.Pass), t.Count));
        }).ToList();
        int fixedCount = tuned.Count(t => t.Pass && !baseById[t.Id].Pass), regressed = tuned.Count(t => !t.Pass && baseById[t.Id].Pass);

        var priced = capture.Where(c => c.CostUsd is not null).ToList();
        decimal? hostedUsd = priced.Count == capture.Count ? Math.Round(priced.Average(c => c.CostUsd!.Value) * 1000m, 6) : null;
        long hostedTokens = (long)Math.Round(capture.Average(c => (double)(c.InputTokens + c.OutputTokens)) * 1000);
        var tunedLatency = Latency.Of([.. tuned.Select(t => t.LatencyMs)]);
        var localSeconds = tunedLatency.MeanMs; // ms per request × 1000 requests / 1000 = seconds per 1,000 requests
        var cost = new CostPer1000(hostedUsd, hostedTokens, Math.Round(machineUsdPerHour * (decimal)localSeconds / 3600m, 6), Math.Round(localSeconds, 2));

        var differences = tuned.Where(t => !t.Pass).Select(t => new Difference(t.Id, t.Tags, t.Input, t.Reference, t.Output, baseById[t.Id].Output, t.Scores)).ToList();
        var source = capture[0].Line["source"] is JsonObject s ? $"{s["model"]} at {s["base_url"]}" : "unknown";
        return new ReportData(source, result.BaseModel, result.Model, tuned.Count, result.Target, result.Reached, result.StopReason, result.Rounds.Count,
            Rate.Of(baseOut.Count(o => o.Pass), baseOut.Count), Rate.Of(tuned.Count(o => o.Pass), tuned.Count), perGrader, perTag,
            fixedCount, regressed, EvalStatistics.McNemarExact(fixedCount, regressed), cost,
            Latency.Of([.. capture.Where(c => c.LatencyMs is not null).Select(c => c.LatencyMs!.Value)]),
            Latency.Of([.. baseOut.Select(o => o.LatencyMs)]), tunedLatency, differences, result.Rounds,
            (string?)plan["graders_reason"] ?? "", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
    }

    /// <summary>Writes report.json and report.html (atomically) and returns the figures.</summary>
    public static ReportData Write(MigrationFolder folder, decimal machineUsdPerHour = 0)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var data = Build(folder, machineUsdPerHour);
        MigrationFolder.WriteJson(folder.ReportJson, JsonSerializer.SerializeToNode(data, CaptureFile.JsonOptions)!);
        AtomicFile.WriteAllText(folder.ReportHtml, ReportHtml.Render(data));
        return data;
    }
}
