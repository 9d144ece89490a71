using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Evals.Graders;
using Hone.Evals.Providers;
using Hone.Evals.Specs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Runs;

/// <summary>The outcome of <see cref="EvalRunner.RunAsync"/>.</summary>
/// <param name="Run">The run record (kind <c>eval</c>).</param>
/// <param name="CasesPath">The per-sample JSONL artifact.</param>
/// <param name="Results">Every sample, in golden-set order, repeats together.</param>
/// <param name="Summary">The aggregate.</param>
/// <param name="Reused">Samples taken from an interrupted run instead of calling the model again.</param>
/// <param name="ModelCalls">Calls that reached the model (not served from the cache).</param>
public sealed record EvalRunResult(RunRecord Run, string CasesPath, IReadOnlyList<CaseResult> Results, EvalSummary Summary, int Reused, long ModelCalls);

/// <summary>
/// Runs an eval: every case × repeat is sent through the decorator pipeline (response cache in the run store, retries,
/// concurrency limit, usage/cost, latency), graded by every grader, and journaled as it finishes. The run is recorded in
/// the <see cref="RunStore"/> (kind <c>eval</c>, tags <c>eval.spec</c> and <c>eval.model</c>, metrics, summary) with
/// its samples written atomically to <c>RUNS/RUN_ID/cases.jsonl</c>.
/// </summary>
/// <remarks>
/// <para>Resume: the newest run of the same spec text, golden set content, model, repeats and limit that did not
/// succeed (cancelled, killed, or with failed model calls) is continued; its journaled samples are reused and only
/// the rest (and the failed calls) are sent.</para>
/// <para>Repeats: with more than one repeat, repeat r is sent with seed <c>(spec seed or 0) + r</c>, so repeats are
/// distinct requests (and distinct cache entries).</para>
/// <para>Over-long cases: a case whose prompt does not fit the model's context is skipped (status <c>skipped</c>, not
/// graded, not in the accuracy), truncated at its start (status <c>truncated</c>; local models) or counted as a failed
/// call, as <see cref="EvalRunOptions.OnOverflow"/> says. Skipped and truncated cases never block the run: it
/// completes and can be a baseline.</para>
/// <para>The model's identity (the client's <see cref="ChatClientMetadata"/>: endpoint or content address, and model
/// id) is part of the run's identity, so a run never resumes with another model's answers.</para>
/// </remarks>
public sealed class EvalRunner(RunStore store, string runsDir)
{
    /// <summary>The run kind recorded in the store.</summary>
    public const string Kind = "eval";

    /// <summary>The per-sample artifact's name.</summary>
    public const string CasesArtifact = "cases.jsonl";

    /// <summary>The journal file of a run in progress.</summary>
    public const string JournalFile = "cases.journal.jsonl";

    /// <summary>Runs (or resumes) the eval with <paramref name="provider"/> as the model.</summary>
    public async Task<EvalRunResult> RunAsync(EvalRunOptions options, IChatClient provider, IProgress<EvalProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(provider);
        options.Validate();
        var spec = options.Spec;
        var all = GoldenSet.Load(spec.GoldenSetPath);
        var cases = options.Limit is { } limit ? all.Take(limit).ToList() : all.ToList();
        var prompts = cases.ToDictionary(c => c.Id, c => options.Program?.FirstRequest(c) ?? EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath), StringComparer.Ordinal);
        var references = cases.ToDictionary(c => c.Id, c => CaseReference.Of(spec, c), StringComparer.Ordinal);
        int repeats = options.EffectiveRepeats, concurrency = options.EffectiveConcurrency;

        var metadata = provider.GetService<ChatClientMetadata>();
        var identity = Identity(options, repeats, metadata);
        var run = options.Resume ? FindResumable(spec.Name, identity) : null;
        run ??= store.CreateRun(Kind, spec.Name, identity.ToJsonString(), null);
        var folder = Path.Combine(runsDir, run.Id);
        if (run.Status != RunStatus.Running) store.SetStatus(run.Id, RunStatus.Running);
        store.SetTag(run.Id, "eval.spec", spec.Name);
        store.SetTag(run.Id, "eval.model", options.Model);
        if (options.Program is { } program) store.SetTag(run.Id, "eval.prompt", program.Name);
        if (metadata?.ProviderUri is { } uri) store.SetTag(run.Id, "eval.model_uri", uri.ToString());
        var journalPath = Path.Combine(folder, JournalFile);

        var done = Reusable(journalPath, options, prompts.ContainsKey, repeats);
        int reused = done.Count;
        var todo = cases.SelectMany(c => Enumerable.Range(0, repeats).Select(r => (Case: c, Repeat: r)))
            .Where(x => !done.ContainsKey((x.Case.Id, x.Repeat))).ToList();

        var ledger = new UsageLedger();
        using var client = ChatClientPipeline.Build(provider, new ChatClientPipelineOptions
        {
            Cache = options.UseCache ? new RunStoreDistributedCache(store) : null,
            MaxRetries = options.MaxRetries,
            RetryBaseDelay = options.RetryBaseDelay,
            MaxConcurrency = concurrency,
            Ledger = ledger,
            Price = spec.Price,
            OpenTelemetrySource = options.OpenTelemetrySource,
            CallLogger = options.CallLogger,
        });
        var results = new System.Collections.Concurrent.ConcurrentDictionary<(string, int), CaseResult>(done);
        int total = cases.Count * repeats, finished = done.Count, passed = done.Values.Count(r => r.Pass);
        progress?.Report(new EvalProgress(finished, total, passed));
        try
        {
            using var journal = new EvalJournal(journalPath);
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
                async (x, token) =>
                {
                    var sent = new SampleRequest(x.Case, prompts[x.Case.Id], references[x.Case.Id], x.Repeat, repeats, options.OnOverflow, options.Program);
                    var r = await RunOneAsync(client, spec, sent, token).ConfigureAwait(false);
                    journal.Append(r);
                    results[(r.CaseId, r.Repeat)] = r;
                    int p = r.Pass ? Interlocked.Increment(ref passed) : Volatile.Read(ref passed);
                    progress?.Report(new EvalProgress(Interlocked.Increment(ref finished), total, p));
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            store.SetStatus(run.Id, RunStatus.Cancelled);
            throw;
        }
        catch
        {
            store.SetStatus(run.Id, RunStatus.Failed); // not left marked running; the same command resumes it
            throw;
        }

        var ordered = cases.SelectMany(c => Enumerable.Range(0, repeats).Select(r => results[(c.Id, r)])).ToList();
        var summary = Summarise(ordered, spec);
        var casesPath = Path.Combine(folder, CasesArtifact);
        AtomicFile.WriteText(casesPath, w => { foreach (var r in ordered) w.WriteLine(r.ToJsonLine()); });
        store.AddArtifact(run.Id, CasesArtifact, casesPath, Sha256(casesPath), new FileInfo(casesPath).Length);
        var summaryJson = JsonSerializer.Serialize(summary, CaseResult.JsonOptions);
        store.LogMetrics(run.Id, 0, Metrics(summary));
        store.SetStatus(run.Id, summary.ModelErrors > 0 ? RunStatus.Failed : RunStatus.Succeeded, summaryJson);
        return new EvalRunResult(store.GetRun(run.Id), casesPath, ordered, summary, reused, ledger.Calls);
    }

    /// <summary>The summary of <paramref name="samples"/> under <paramref name="spec"/>'s graders and primary metric.</summary>
    public static EvalSummary Summarise(IReadOnlyList<CaseResult> samples, EvalSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return EvalSummary.Compute(samples, [.. spec.Graders.Select(g => g.Name)], spec.PrimaryMetric,
            [.. spec.Graders.OfType<ClassificationGrader>().Select(g => g.Name)]);
    }

    /// <summary>
    /// Sends and grades one sample of <paramref name="c"/> through <paramref name="client"/> (already wrapped in the
    /// decorators) with the spec's prompt or <paramref name="program"/>: what each run does per sample, for callers that
    /// evaluate prompts without recording a run (Hone.Prompting's techniques).
    /// </summary>
    public static Task<CaseResult> RunSampleAsync(IChatClient client, EvalSpec spec, GoldenCase c, ICaseProgram? program, int repeat, int repeats,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(c);
        var messages = program?.FirstRequest(c) ?? EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath);
        return RunOneAsync(client, spec, new SampleRequest(c, messages, CaseReference.Of(spec, c), repeat, repeats, OverflowAction.Skip, program), ct);
    }

    /// <summary>One sample to send: the case, its messages and reference, the repeat, the overflow policy and the program, if any.</summary>
    private sealed record SampleRequest(GoldenCase Case, IReadOnlyList<ChatMessage> Messages, string? Reference, int Repeat, int Repeats, OverflowAction OnOverflow,
        ICaseProgram? Program = null);

    private static async Task<CaseResult> RunOneAsync(IChatClient client, EvalSpec spec, SampleRequest q, CancellationToken ct)
    {
        var c = q.Case;
        var chatOptions = new ChatOptions
        {
            Temperature = (float)spec.Temperature,
            MaxOutputTokens = spec.MaxTokens,
            Seed = q.Repeats > 1 ? (spec.Seed ?? 0) + q.Repeat : spec.Seed,
            Tools = c.Tools.Count > 0 ? [.. c.Tools] : null,
        };
        var blank = new CaseResult
        {
            CaseId = c.Id,
            Repeat = q.Repeat,
            Tags = c.Tags,
            Input = EvalPromptBuilder.ToJson(q.Messages),
            Reference = q.Reference,
        };
        ChatResponse response;
        CaseAnswer? answer = null;
        try
        {
            try
            {
                if (q.Program is { } program)
                {
                    answer = await program.AnswerAsync(client, c, chatOptions, q.Repeat, ct).ConfigureAwait(false);
                    response = answer.Response;
                    blank = blank with { Input = EvalPromptBuilder.ToJson(answer.Input), Steps = answer.Steps, FailedStep = answer.FailedStep };
                }
                else response = await client.GetResponseAsync(q.Messages, chatOptions, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (ContextOverflow.IsOverflow(e) && q.OnOverflow == OverflowAction.TruncateStart)
            {
                // Only an over-long prompt is sent again asking to cut its start, so every other request stays the same
                // request (and the same cache entry) whatever the policy.
                var truncating = chatOptions.Clone();
                truncating.AdditionalProperties = new() { [ContextOverflow.PolicyKey] = ContextOverflow.TruncateStart };
                if (q.Program is { } program)
                {
                    answer = await program.AnswerAsync(client, c, truncating, q.Repeat, ct).ConfigureAwait(false);
                    response = answer.Response;
                    blank = blank with { Input = EvalPromptBuilder.ToJson(answer.Input), Steps = answer.Steps, FailedStep = answer.FailedStep };
                }
                else response = await client.GetResponseAsync(q.Messages, truncating, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (ContextOverflow.IsOverflow(e) && q.OnOverflow != OverflowAction.Fail)
        {
            var why = q.OnOverflow == OverflowAction.TruncateStart ? " (the endpoint cannot truncate prompts; only local models can)" : "";
            return blank with { Status = SampleStatus.Skipped, StatusDetail = $"{CaseResult.OverLong}: {e.Message}{why}" };
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            bool overLong = ContextOverflow.IsOverflow(e);
            var hint = overLong ? " Give --on-overflow skip or truncate-start to leave such cases out or cut them." : "";
            return blank with
            {
                Status = SampleStatus.Error,
                FailedStep = (e as ICaseStepError)?.Step ?? blank.FailedStep,
                Error = $"{e.GetType().Name}: {e.Message}{hint}",
                StatusDetail = overLong ? $"{CaseResult.OverLong}: the prompt does not fit the model's context" : null,
            };
        }
        var sample = GradeSample.FromChatResponse(response);
        var ctx = new GradeContext(c.Item, sample);
        var grades = new List<GraderOutcome>(spec.Graders.Count);
        foreach (var g in spec.Graders) grades.Add(GraderOutcome.From(await g.GradeAsync(ctx, ct).ConfigureAwait(false)));
        bool pass = answer?.FailedStep is null && (spec.PrimaryMetric is { } primary ? grades.Single(g => g.Grader == primary).Pass : grades.All(g => g.Pass));
        var props = response.AdditionalProperties;
        bool hit = props?.TryGetValue(ResponseCachingChatClient.CacheHitKey, out var h) == true && h is true;
        long dropped = ContextOverflow.PromptTokensDropped(response);
        return blank with
        {
            Output = sample.OutputText,
            ToolCalls = sample.OutputTools,
            Grades = grades,
            Pass = pass,
            FailedStep = blank.FailedStep ?? (pass ? null : answer?.FinalStep),
            Status = dropped > 0 ? SampleStatus.Truncated : SampleStatus.Ok,
            StatusDetail = dropped > 0 ? $"the prompt's first {dropped} tokens were dropped to fit the context" : null,
            PromptTokensDropped = dropped > 0 ? dropped : null,
            FinishReason = response.FinishReason?.Value,
            LatencyMs = Number(props, TimingChatClient.LatencyKey),
            InputTokens = response.Usage?.InputTokenCount ?? 0,
            OutputTokens = response.Usage?.OutputTokenCount ?? 0,
            CostUsd = spec.Price is null ? null : hit ? 0m : (decimal)Number(props, UsageTrackingChatClient.CostKey),
            CacheHit = hit,
        };
    }

    private static double Number(AdditionalPropertiesDictionary? props, string key) =>
        props is not null && props.TryGetValue(key, out var v) ? v switch
        {
            double d => d,
            decimal m => (double)m,
            float f => f,
            long l => l,
            int i => i,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
            _ => 0,
        } : 0;

    private static JsonObject Identity(EvalRunOptions o, int repeats, ChatClientMetadata? metadata) => WithProgram(o.Program, new()
    {
        ["spec"] = o.Spec.SourcePath,
        ["spec_sha256"] = o.Spec.ContentHash,
        ["golden_set"] = o.Spec.GoldenSetPath,
        ["golden_sha256"] = Sha256(o.Spec.GoldenSetPath),
        ["model"] = o.Model,
        ["model_uri"] = metadata?.ProviderUri?.ToString(),
        ["model_id"] = metadata?.DefaultModelId,
        ["repeats"] = repeats,
        ["limit"] = o.Limit,
    });

    /// <summary>A run through a prompt or chain file is told apart by the file's content (runs without one keep their identity).</summary>
    private static JsonObject WithProgram(ICaseProgram? program, JsonObject identity)
    {
        if (program is not null) identity["prompt_file"] = program.Identity;
        return identity;
    }

    /// <summary>
    /// Samples the same call would reuse from an unfinished run (no run is created or changed): how many of the
    /// samples still have to be sent, for an estimate told before the run starts.
    /// </summary>
    public int ReusableSamples(EvalRunOptions options, IChatClient provider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(provider);
        options.Validate();
        if (!options.Resume) return 0;
        int repeats = options.EffectiveRepeats;
        if (FindResumable(options.Spec.Name, Identity(options, repeats, provider.GetService<ChatClientMetadata>())) is not { } run) return 0;
        var all = GoldenSet.Load(options.Spec.GoldenSetPath);
        var ids = (options.Limit is { } limit ? all.Take(limit) : all).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        return Reusable(Path.Combine(runsDir, run.Id, JournalFile), options, ids.Contains, repeats).Count;
    }

    /// <summary>Samples finished before an interruption are kept, except an over-long case handled under another policy.</summary>
    private static Dictionary<(string CaseId, int Repeat), CaseResult> Reusable(string journalPath, EvalRunOptions options, Func<string, bool> isCase, int repeats) =>
        EvalJournal.Read(journalPath).Where(r => r.Error is null && isCase(r.CaseId) && r.Repeat < repeats
                && (r.Status != SampleStatus.Skipped || options.OnOverflow == OverflowAction.Skip)
                && (r.Status != SampleStatus.Truncated || options.OnOverflow == OverflowAction.TruncateStart))
            .ToDictionary(r => (r.CaseId, r.Repeat));

    private RunRecord? FindResumable(string name, JsonObject identity)
    {
        var wanted = identity.ToJsonString();
        return store.ListRuns(Kind, 500).FirstOrDefault(r => r.Name == name && r.Status is not (RunStatus.Succeeded or RunStatus.Running) // not one another process is running
            && r.OptionsJson == wanted);
    }

    private static IEnumerable<KeyValuePair<string, double>> Metrics(EvalSummary s)
    {
        yield return new("accuracy", s.Accuracy);
        yield return new("accuracy_low", s.AccuracyLow);
        yield return new("accuracy_high", s.AccuracyHigh);
        yield return new("cases", s.Cases);
        yield return new("samples", s.Samples);
        yield return new("model_errors", s.ModelErrors);
        yield return new("graded", s.Graded);
        yield return new("grader_errors", s.GraderErrors);
        yield return new("skipped", s.Skipped);
        yield return new("truncated", s.Truncated);
        yield return new("ended_on_own", s.EndedOnOwn);
        yield return new("hit_token_limit", s.HitTokenLimit);
        yield return new("cache_hits", s.CacheHits);
        yield return new("input_tokens", s.InputTokens);
        yield return new("output_tokens", s.OutputTokens);
        yield return new("mean_latency_ms", s.MeanLatencyMs);
        if (s.PassAtK is { } a) yield return new($"pass_at_{s.Repeats.ToString(CultureInfo.InvariantCulture)}", a);
        if (s.PassHatK is { } h) yield return new($"pass_hat_{s.Repeats.ToString(CultureInfo.InvariantCulture)}", h);
        if (s.CostUsd is { } c) yield return new("cost_usd", (double)c);
        foreach (var g in s.Graders) yield return new($"grader.{g.Grader}.mean_score", g.MeanScore);
    }

    private static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }
}
