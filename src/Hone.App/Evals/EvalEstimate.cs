using System.Diagnostics;
using Hone.App.Data;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Model;
using Hone.Evals.Graders.Multi;
using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Prompting.Execution;
using Microsoft.Extensions.AI;

namespace Hone.App.Evals;

/// <summary>What a short probe of a local model measured: prompt and generated tokens per second on this machine.</summary>
/// <param name="PrefillTokensPerSecond">Prompt tokens read per second.</param>
/// <param name="DecodeTokensPerSecond">Tokens generated per second.</param>
/// <param name="Seconds">Wall time of the probe itself.</param>
public sealed record LocalProbe(double PrefillTokensPerSecond, double DecodeTokensPerSecond, double Seconds);

/// <summary>The work of one model's eval, counted before it runs: what <see cref="EvalEstimator.Compute"/> turns into an estimate.</summary>
/// <param name="Cases">Golden cases (after --limit).</param>
/// <param name="Repeats">Samples per case.</param>
/// <param name="Reused">Samples an unfinished run already holds (resumed, not sent again).</param>
/// <param name="Model">The model's calls, tokens and dollars for every sample (cases × repeats), before the reused are taken off.</param>
/// <param name="Judge">The model graders' calls, tokens and dollars for every sample, likewise.</param>
/// <param name="ModelGraders">Graders that call a model (score_model, label_model, also inside multi graders).</param>
/// <param name="Graders">Graders of the spec.</param>
/// <param name="Concurrency">Model calls in flight at once (hosted models).</param>
public sealed record EvalWorkload(int Cases, int Repeats, int Reused, SpendEstimate Model, SpendEstimate Judge, int ModelGraders, int Graders, int Concurrency);

/// <summary>The estimate of one model's eval, told before the first call (and alone with <c>--dry-run</c>).</summary>
/// <param name="Model">The model.</param>
/// <param name="Cases">Golden cases.</param>
/// <param name="Repeats">Samples per case.</param>
/// <param name="Samples">Samples in all (cases × repeats).</param>
/// <param name="Reused">Samples an unfinished run already holds (resumed, not sent again).</param>
/// <param name="Graders">Graders per sample.</param>
/// <param name="ModelGraders">Of those, graders that call a model.</param>
/// <param name="ModelCalls">Calls to the model still to make (at most: cached answers are free).</param>
/// <param name="GraderCalls">Calls the model graders will make.</param>
/// <param name="InputTokens">Prompt tokens of all those calls (characters / 4).</param>
/// <param name="OutputTokens">Generated tokens at most (each call's max_tokens, else 128).</param>
/// <param name="Usd">Dollars at the spec's (or the price table's) price, or null when no price is known (local models are free).</param>
/// <param name="PriceSource">Where the price came from.</param>
/// <param name="Seconds">Expected wall time at most.</param>
/// <param name="TimeSource">How <paramref name="Seconds"/> was reckoned: the local probe, or an assumed second per hosted call.</param>
/// <param name="Probe">The local model's probe, or null.</param>
public sealed record EvalEstimate(string Model, int Cases, int Repeats, int Samples, int Reused, int Graders, int ModelGraders, long ModelCalls, long GraderCalls,
    long InputTokens, long OutputTokens, decimal? Usd, string PriceSource, double Seconds, string TimeSource, LocalProbe? Probe);

/// <summary>
/// The estimate of <c>hone eval</c>: cases × samples × graders counted from the prompts as they will be sent (the same
/// arithmetic as the prompting techniques, <see cref="SpendEstimator"/>), the samples a resumed run already holds taken
/// off, hosted dollars at the spec's price (else the price table's), and wall time on this machine from a short probe of
/// a local model (prompt and generated tokens per second) or an assumed second per hosted call.
/// </summary>
public static class EvalEstimator
{
    /// <summary>Generated tokens the probe asks for beyond the first.</summary>
    public const int ProbeTokens = 8;

    /// <summary>The estimate of <paramref name="w"/>: pure arithmetic over the counts and, for a local model, the probe's rates.</summary>
    public static EvalEstimate Compute(string model, EvalWorkload w, string priceSource, LocalProbe? probe)
    {
        ArgumentNullException.ThrowIfNull(w);
        int samples = w.Cases * w.Repeats, pending = Math.Max(0, samples - w.Reused);
        var m = Part(w.Model, pending, samples);
        var j = Part(w.Judge, pending, samples);
        double modelSeconds = probe is { PrefillTokensPerSecond: > 0, DecodeTokensPerSecond: > 0 }
            ? m.InputTokens / probe.PrefillTokensPerSecond + m.OutputTokens / probe.DecodeTokensPerSecond // one engine: calls run one after another
            : m.Calls * SpendEstimator.SecondsPerCall / Math.Max(1, w.Concurrency);
        double seconds = modelSeconds + j.Calls * SpendEstimator.SecondsPerCall / Math.Max(1, w.Concurrency);
        var usd = m.Usd is null && j.Usd is null ? (decimal?)null : (m.Usd ?? 0) + (j.Usd ?? 0);
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var timeSource = probe is null ? string.Create(ic, $"{SpendEstimator.SecondsPerCall:0.#} s per call assumed, {w.Concurrency} in flight")
            : string.Create(ic, $"local probe: {probe.PrefillTokensPerSecond:0} prompt tok/s, {probe.DecodeTokensPerSecond:0.#} generated tok/s");
        return new EvalEstimate(model, w.Cases, w.Repeats, samples, samples - pending, w.Graders, w.ModelGraders, m.Calls, j.Calls, m.InputTokens + j.InputTokens,
            m.OutputTokens + j.OutputTokens, usd, priceSource, seconds, timeSource, probe);
    }

    /// <summary>The share of <paramref name="all"/> that <paramref name="pending"/> of <paramref name="samples"/> samples make.</summary>
    private static SpendEstimate Part(SpendEstimate all, int pending, int samples)
    {
        if (samples == 0 || pending == samples) return all;
        long Share(long v) => (long)Math.Ceiling((double)v * pending / samples);
        return new SpendEstimate(Share(all.Calls), Share(all.InputTokens), Share(all.OutputTokens), all.Usd is { } u ? Math.Round(u * pending / samples, 6) : null,
            all.Seconds * pending / samples);
    }

    /// <summary>The workload of <paramref name="o"/> sent to <paramref name="client"/>, with the samples <paramref name="reused"/> from an unfinished run.</summary>
    public static EvalWorkload Workload(EvalRunOptions o, int reused, ModelPrice? price, Func<string, ModelPrice?> judgePrice)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(judgePrice);
        var spec = o.Spec;
        var cases = Cases(o);
        int repeats = o.EffectiveRepeats, concurrency = o.EffectiveConcurrency;
        SpendEstimate model;
        if (o.Program is PromptProgram program) model = SpendEstimator.Of(program, cases, price, concurrency, repeats);
        else
        {
            long input = cases.Sum(c => Tokens(EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath)));
            long output = (long)(spec.MaxTokens ?? SpendEstimator.DefaultOutputTokens) * cases.Count;
            model = SpendEstimator.Build((long)cases.Count * repeats, input * repeats, output * repeats, price, concurrency);
        }
        var judges = ModelGraders(spec.Graders).ToList();
        long samples = (long)cases.Count * repeats;
        long perSampleIn = samples == 0 ? 0 : (model.InputTokens + model.OutputTokens) / samples + 150; // the case, the answer, the judge's instruction
        var judge = SpendEstimator.Build(0, 0, 0, null, concurrency);
        foreach (var (name, maxTokens) in judges)
            judge = judge.Plus(SpendEstimator.Build(samples, samples * perSampleIn, samples * (maxTokens ?? 16), judgePrice(name), concurrency));
        return new EvalWorkload(cases.Count, repeats, reused, model, judge, judges.Count, spec.Graders.Count, concurrency);
    }

    /// <summary>
    /// Measures a local model on <paramref name="messages"/> (the shortest prompt of the run): one call to warm it up, one
    /// generating a single token (prompt tokens per second), one generating <see cref="ProbeTokens"/> more (generated
    /// tokens per second from the difference). Null when the model cannot answer the probe (then a second per call is assumed).
    /// </summary>
    public static async Task<LocalProbe?> ProbeAsync(IChatClient client, IReadOnlyList<ChatMessage> messages, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var total = Stopwatch.StartNew();
        try
        {
            async Task<(double Seconds, long In, long Out)> Call(int max)
            {
                var clock = Stopwatch.StartNew();
                var r = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = max, Temperature = 0 }, ct).ConfigureAwait(false);
                return (clock.Elapsed.TotalSeconds, r.Usage?.InputTokenCount ?? Tokens(messages), r.Usage?.OutputTokenCount ?? max);
            }
            await Call(1).ConfigureAwait(false);
            var one = await Call(1).ConfigureAwait(false);
            var more = await Call(1 + ProbeTokens).ConfigureAwait(false);
            return Rates(one, more, total.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is Hone.Core.HoneException || ContextOverflow.IsOverflow(e))
        {
            return null;
        }
    }

    /// <summary>The rates from a one-token call and a longer call on the same prompt.</summary>
    public static LocalProbe? Rates((double Seconds, long In, long Out) one, (double Seconds, long In, long Out) more, double probeSeconds)
    {
        if (one.Seconds <= 0 || one.In <= 0) return null;
        double prefill = one.In / one.Seconds;
        long extra = more.Out - one.Out;
        double decodeSeconds = more.Seconds - one.Seconds;
        // A model that stopped at once, or a timer too coarse to tell: a generated token costs what a prompt token does, at worst.
        double decode = extra > 0 && decodeSeconds > 0 ? extra / decodeSeconds : prefill;
        return new LocalProbe(prefill, Math.Min(decode, prefill), probeSeconds);
    }

    /// <summary>The shortest prompt of the run (the probe's).</summary>
    public static IReadOnlyList<ChatMessage> ShortestPrompt(EvalRunOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var spec = o.Spec;
        return Cases(o).Select(c => o.Program?.FirstRequest(c) ?? EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath)).MinBy(Tokens) ?? [];
    }

    /// <summary>Whether <paramref name="model"/> runs on this machine (local:DIR or run:RUN): timed by a probe, free of charge.</summary>
    public static bool IsLocal(string model) =>
        model.StartsWith("local:", StringComparison.Ordinal) || model.StartsWith("run:", StringComparison.Ordinal);

    /// <summary>The price of <paramref name="model"/>: the spec's, else the workspace's price table, else none; and where it came from.</summary>
    internal static (ModelPrice? Price, string Source) PriceOf(EvalSpec spec, string model, string workingDirectory) =>
        IsLocal(model) ? (null, "local model: no charge")
        : spec.Price is { } p ? (p, $"price: in {Path.GetFileName(spec.SourcePath)}")
        : ModelWork.PriceOf(model, workingDirectory);

    private static List<GoldenCase> Cases(EvalRunOptions o)
    {
        var all = GoldenSet.Load(o.Spec.GoldenSetPath);
        return o.Limit is { } limit ? [.. all.Take(limit)] : [.. all];
    }

    private static IEnumerable<(string Model, int? MaxTokens)> ModelGraders(IEnumerable<IGrader> graders)
    {
        foreach (var g in graders)
        {
            switch (g)
            {
                case ScoreModelGrader s: yield return (s.Model, s.MaxTokens); break;
                case LabelModelGrader l: yield return (l.Model, null); break;
                case MultiGrader m:
                    foreach (var inner in ModelGraders(m.Graders.Values)) yield return inner;
                    break;
            }
        }
    }

    private static long Tokens(IEnumerable<ChatMessage> messages) => messages.Sum(m => (long)(m.Text?.Length ?? 0)) / 4 + 4;
}
