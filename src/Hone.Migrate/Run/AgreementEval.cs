using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Migrate.Capture;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Migrate.Run;

/// <summary>One held-out case answered by an open model and graded against the hosted model's answer.</summary>
/// <param name="Id">The case id.</param>
/// <param name="Tags">The case's tags.</param>
/// <param name="Input">The last user message.</param>
/// <param name="Reference">The hosted model's answer.</param>
/// <param name="Output">The open model's answer.</param>
/// <param name="LatencyMs">Time to answer on this machine.</param>
/// <param name="Scores">Score per grader.</param>
/// <param name="Passes">Pass per grader.</param>
/// <param name="Pass">Every grader passed: the open model agrees with the hosted one.</param>
public sealed record CaseOutcome(string Id, IReadOnlyList<string> Tags, string Input, string Reference, string Output, double LatencyMs,
    IReadOnlyDictionary<string, double> Scores, IReadOnlyDictionary<string, bool> Passes, bool Pass);

/// <summary>Answers captured cases with a chat client (greedy) and grades each answer against the hosted model's.</summary>
public static class AgreementEval
{
    /// <summary>Builds the plan's graders (<paramref name="judge"/> serves model graders).</summary>
    public static IReadOnlyList<IGrader> Graders(JsonArray definitions, Func<string, IChatClient>? judge)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        try
        {
            return [.. definitions.Select((d, i) => GraderFactory.FromJson(JsonDocument.Parse(d!.ToJsonString()).RootElement.Clone(), GraderDialect.Hone,
                new GraderEnvironment { JudgeClient = judge }, $"plan.json graders[{i}]"))];
        }
        catch (GraderConfigException e)
        {
            throw new MigrateException($"plan.json graders: {e.Message}", e);
        }
    }

    /// <summary>Answers and grades every case, in order.</summary>
    public static async Task<List<CaseOutcome>> RunAsync(IChatClient client, IReadOnlyList<CapturedCase> cases, IReadOnlyList<IGrader> graders,
        int maxTokens, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(graders);
        var outcomes = new List<CaseOutcome>(cases.Count);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = maxTokens };
        foreach (var c in cases)
        {
            var messages = c.Input.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
            var started = Stopwatch.GetTimestamp();
            var response = await client.GetResponseAsync(messages, options.Clone(), ct).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var output = response.Text;
            outcomes.Add(await GradeAsync(c, output, latency, graders, ct).ConfigureAwait(false));
            progress?.Report(outcomes.Count);
        }
        return outcomes;
    }

    /// <summary>Grades one answer.</summary>
    public static async Task<CaseOutcome> GradeAsync(CapturedCase c, string output, double latencyMs, IReadOnlyList<IGrader> graders, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(graders);
        var item = JsonDocument.Parse(c.Line.ToJsonString()).RootElement.Clone();
        var ctx = new GradeContext(item, new GradeSample(output));
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var passes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var g in graders)
        {
            var r = await g.GradeAsync(ctx, ct).ConfigureAwait(false);
            scores[g.Name] = r.Score;
            passes[g.Name] = r.Pass;
        }
        return new CaseOutcome(c.Id, c.Tags, c.Input.LastUser, c.Reference, output, Math.Round(latencyMs, 2), scores, passes, passes.Values.All(p => p));
    }

    /// <summary>The share of cases where every grader passed.</summary>
    public static double Agreement(IReadOnlyList<CaseOutcome> outcomes) =>
        outcomes is null || outcomes.Count == 0 ? 0 : outcomes.Count(o => o.Pass) / (double)outcomes.Count;

    /// <summary>Writes outcomes as JSONL (atomically).</summary>
    public static void Write(string path, IReadOnlyList<CaseOutcome> outcomes) => AtomicFile.WriteText(path, w =>
    {
        foreach (var o in outcomes) w.WriteLine(JsonSerializer.Serialize(o, CaptureFile.JsonOptions));
    });

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    public static List<CaseOutcome> Read(string path)
    {
        if (!File.Exists(path)) throw new MigrateException($"{path} not found: run `hone migrate run` first.");
        return [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CaseOutcome>(l, CaptureFile.JsonOptions)
            ?? throw new MigrateException($"{path}: an empty line."))];
    }
}

/// <summary>A judge placeholder used only to check a grader file's syntax: it never answers.</summary>
internal sealed class UnusedJudge : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The placeholder judge does not answer.");

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The placeholder judge does not answer.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
