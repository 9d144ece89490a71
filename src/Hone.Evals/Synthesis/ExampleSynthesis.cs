using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Evals.Graders;
using Hone.Evals.Specs;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Synthesis;

/// <summary>How <see cref="ExampleSynthesis"/> runs.</summary>
public sealed record ExampleSynthesisOptions
{
    /// <summary>Examples to keep.</summary>
    public required int Count { get; init; }

    /// <summary>New cases asked for in one teacher call.</summary>
    public int BatchSize { get; init; } = 5;

    /// <summary>Failing cases shown in one teacher call (taken in turn, so every failure is written for).</summary>
    public int CasesPerPrompt { get; init; } = 3;

    /// <summary>Teacher calls at most, as a multiple of the calls <see cref="Count"/> needs when nothing is dropped.</summary>
    public int CallFactor { get; init; } = 2;

    /// <summary>Near-duplicate threshold (Jaccard of word 3-shingles) against the golden set, the data and the kept examples.</summary>
    public double NearDuplicateThreshold { get; init; } = 0.8;

    /// <summary>What the examples are for (the run or edge case), recorded in provenance.</summary>
    public string For { get; init; } = "";

    /// <summary>The teacher's name (provider:model), recorded in provenance.</summary>
    public string Teacher { get; init; } = "";

    /// <summary>The verifier's name, recorded in provenance, or null.</summary>
    public string? VerifierName { get; init; }

    /// <summary>Teacher calls the run may make.</summary>
    public int MaxCalls => CallFactor * Calls(Count, BatchSize);

    /// <summary>Teacher calls needed for <paramref name="count"/> examples when nothing is dropped.</summary>
    public static int Calls(int count, int batch) => (count + batch - 1) / batch;

    /// <summary>Throws <see cref="ArgumentException"/> for an out-of-range value.</summary>
    public ExampleSynthesisOptions Validate()
    {
        if (Count is < 1 or > 10_000) throw new ArgumentException($"--n must be from 1 to 10,000, not {Count}.", nameof(Count));
        if (BatchSize is < 1 or > 50) throw new ArgumentException($"batch size must be from 1 to 50, not {BatchSize}.", nameof(BatchSize));
        if (CasesPerPrompt is < 1 or > 20) throw new ArgumentException($"cases per prompt must be from 1 to 20, not {CasesPerPrompt}.", nameof(CasesPerPrompt));
        if (CallFactor is < 1 or > 10) throw new ArgumentException($"call factor must be from 1 to 10, not {CallFactor}.", nameof(CallFactor));
        if (double.IsNaN(NearDuplicateThreshold) || NearDuplicateThreshold is <= 0 or > 1)
            throw new ArgumentException($"near-duplicate threshold must be in (0, 1], not {NearDuplicateThreshold}.", nameof(NearDuplicateThreshold));
        return this;
    }
}

/// <summary>A candidate the checks dropped.</summary>
/// <param name="Call">The teacher call (1-based) that wrote it.</param>
/// <param name="Line">Its line in that call's answer (1-based).</param>
/// <param name="Code">Why: unreadable, invalid-case, no-answer, a <see cref="ExampleScreen"/> code, grader or verifier.</param>
/// <param name="Reason">The exact reason.</param>
/// <param name="Text">The case as the teacher wrote it.</param>
public sealed record DroppedCandidate(int Call, int Line, string Code, string Reason, string Text);

/// <summary>What <see cref="ExampleSynthesis.RunAsync"/> did.</summary>
/// <param name="Kept">The kept examples (SFT lines with provenance in <c>metadata</c>), in order.</param>
/// <param name="Dropped">The dropped candidates with their reasons.</param>
/// <param name="TeacherCalls">Teacher calls made (answered from the progress file or not).</param>
/// <param name="VerifierCalls">Verifier calls made.</param>
/// <param name="GradersSkipped">Grader checks that did not apply (the grader needs a field the case lacks), by grader.</param>
public sealed record SynthesisOutcome(IReadOnlyList<JsonObject> Kept, IReadOnlyList<DroppedCandidate> Dropped, int TeacherCalls, int VerifierCalls,
    IReadOnlyDictionary<string, int> GradersSkipped);

/// <summary>
/// <c>hone data synth</c>'s loop: the teacher (<see cref="CaseSynthesizer"/>) writes new cases like the failing ones in
/// the golden set's shape; each becomes an SFT example through the spec's prompt (so it carries the prompt the model is
/// evaluated with) and its reference answer, and is kept only when it passes, in order: the data check's rules, the
/// leakage and near-duplicate search against the golden set, the existing data and the examples kept so far
/// (<see cref="ExampleScreen"/>), the spec's graders applied to its answer where they apply (a grader that needs what
/// the case lacks is skipped), and the verifier when there is one. Calls continue until enough are kept or
/// <see cref="ExampleSynthesisOptions.MaxCalls"/> is reached.
/// </summary>
public sealed class ExampleSynthesis(EvalSpec spec, CaseSynthesizer teacher, IChatClient? verifier, ExampleSynthesisOptions options)
{
    /// <summary>The instruction the verifier gets.</summary>
    public const string VerifierInstruction =
        "You check one training example for a model: a conversation and the answer the model should learn to give. Reply with one JSON object: " +
        "{\"ok\": true} when the answer is right, consistent with the conversation and complete; else {\"ok\": false, \"reason\": \"what is wrong\"}.";

    private readonly ExampleSynthesisOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();

    /// <summary>Writes and checks examples for <paramref name="failing"/>.</summary>
    /// <param name="failing">The failing cases to write for.</param>
    /// <param name="golden">The golden set (never copied: leakage is searched against it).</param>
    /// <param name="existing">The existing training data.</param>
    /// <param name="progress">Reports kept and teacher calls made.</param>
    /// <param name="ct">Cancels.</param>
    public async Task<SynthesisOutcome> RunAsync(IReadOnlyList<FailingCase> failing, IReadOnlyList<GoldenCase> golden, IReadOnlyList<ScreenReference> existing,
        IProgress<(int Kept, int Calls)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(failing);
        ArgumentNullException.ThrowIfNull(golden);
        ArgumentNullException.ThrowIfNull(existing);
        if (failing.Count == 0) throw new ArgumentException("No failing case to write for.", nameof(failing));
        var goldenRefs = new List<ScreenReference>();
        foreach (var g in golden)
        {
            try { goldenRefs.Add(new ScreenReference($"golden case {g.Id}", ToElement(Example(g, CaseReference.Of(spec, g) ?? "(no reference)")))); }
            catch (EvalSpecException) { } // a case the prompt cannot render is never sent either
        }
        var kept = new List<JsonObject>();
        var dropped = new List<DroppedCandidate>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int calls = 0, verifierCalls = 0;
        while (kept.Count < _options.Count && calls < _options.MaxCalls)
        {
            var shown = Enumerable.Range(0, Math.Min(_options.CasesPerPrompt, failing.Count))
                .Select(k => failing[(calls * _options.CasesPerPrompt + k) % failing.Count]).DistinctBy(c => c.Id).ToList();
            var ask = Math.Min(_options.BatchSize, _options.Count - kept.Count);
            ct.ThrowIfCancellationRequested();
            var batch = await teacher.WriteAsync(shown, ask, calls, ct).ConfigureAwait(false);
            calls++;
            var first = dropped.Count;
            var candidates = new List<(int Line, string Text, JsonObject Example, GoldenCase Case, string Answer)>();
            for (int i = 0; i < batch.Items.Count; i++)
            {
                var item = batch.Items[i];
                if (item.Item is null)
                {
                    dropped.Add(new DroppedCandidate(calls, i + 1, "unreadable", item.Error!, item.Raw));
                    continue;
                }
                GoldenCase c;
                try { c = GoldenSet.Parse([item.Item.ToJsonString()], "the teacher's case")[0]; }
                catch (EvalSpecException e)
                {
                    dropped.Add(new DroppedCandidate(calls, i + 1, "invalid-case", e.Message, item.Raw));
                    continue;
                }
                var answer = CaseReference.Of(spec, c);
                if (string.IsNullOrWhiteSpace(answer))
                {
                    dropped.Add(new DroppedCandidate(calls, i + 1, "no-answer", "the case has no reference answer (the spec's reference or a final assistant message).", item.Raw));
                    continue;
                }
                JsonObject example;
                try { example = Example(c, answer); }
                catch (EvalSpecException e)
                {
                    dropped.Add(new DroppedCandidate(calls, i + 1, "invalid-case", e.Message, item.Raw));
                    continue;
                }
                example["metadata"] = Provenance(batch.Prompt, shown, calls);
                candidates.Add((i + 1, item.Raw, example, c, answer));
            }

            var refs = existing.Concat(kept.Select((k, j) => new ScreenReference($"synthesised example {j + 1}", ToElement(k)))).ToList();
            var verdicts = ExampleScreen.Screen([.. candidates.Select(x => new ScreenReference($"line {x.Line} of call {calls}", ToElement(x.Example)))], goldenRefs, refs,
                _options.NearDuplicateThreshold);
            for (int i = 0; i < candidates.Count; i++)
            {
                var x = candidates[i];
                if (!verdicts[i].Kept)
                {
                    dropped.Add(new DroppedCandidate(calls, x.Line, verdicts[i].Code!, verdicts[i].Reason!, x.Text));
                    continue;
                }
                if (await GraderFailure(x.Case, x.Answer, skipped, ct).ConfigureAwait(false) is { } why)
                {
                    dropped.Add(new DroppedCandidate(calls, x.Line, "grader", why, x.Text));
                    continue;
                }
                if (verifier is not null && kept.Count < _options.Count)
                {
                    verifierCalls++;
                    if (await Verify(x.Example, ct).ConfigureAwait(false) is { } no)
                    {
                        dropped.Add(new DroppedCandidate(calls, x.Line, "verifier", no, x.Text));
                        continue;
                    }
                }
                if (kept.Count < _options.Count) kept.Add(x.Example);
            }
            dropped.Sort(first, dropped.Count - first, Comparer<DroppedCandidate>.Create((a, b) => a.Line.CompareTo(b.Line)));
            progress?.Report((kept.Count, calls));
        }
        return new SynthesisOutcome(kept, dropped, calls, verifierCalls, skipped);
    }

    /// <summary>The SFT example of a case: the spec's prompt rendered for it, then <paramref name="answer"/>.</summary>
    /// <exception cref="EvalSpecException">The prompt cannot be rendered for the case.</exception>
    private JsonObject Example(GoldenCase c, string answer)
    {
        var json = OpenAiChatWriter.ToJson(EvalPromptBuilder.Build(spec.Prompt, c, spec.GoldenSetPath));
        json.Add(new JsonObject { ["role"] = "assistant", ["content"] = answer });
        var o = new JsonObject { ["messages"] = json };
        if (c.Item.TryGetProperty("tools", out var tools)) o["tools"] = JsonNode.Parse(tools.GetRawText());
        return o;
    }

    private JsonObject Provenance(SynthesisPrompt prompt, IReadOnlyList<FailingCase> shown, int call) => new()
    {
        ["source"] = "hone data synth",
        ["for"] = _options.For,
        ["teacher"] = _options.Teacher,
        ["verifier"] = _options.VerifierName,
        ["count"] = _options.Count,
        ["call"] = call,
        ["cases"] = new JsonArray([.. shown.Select(s => (JsonNode)s.Id)]),
        ["tags"] = new JsonArray([.. shown.SelectMany(s => s.Tags).Append("synth").Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]),
        ["prompt"] = new JsonObject { ["system"] = prompt.System, ["user"] = prompt.User },
    };

    private async Task<string?> GraderFailure(GoldenCase c, string answer, IDictionary<string, int> skipped, CancellationToken ct)
    {
        foreach (var g in spec.Graders)
        {
            var r = await g.GradeAsync(new GradeContext(c.Item, new GradeSample(answer)), ct).ConfigureAwait(false);
            if (r.IsError)
            {
                skipped[g.Name] = skipped.TryGetValue(g.Name, out var n) ? n + 1 : 1;
                continue;
            }
            if (!r.Pass) return $"{g.Name}: {(r.Detail is { Length: > 0 } d ? d : $"score {r.Score:0.###} below {g.PassThreshold:0.###}")}";
        }
        return null;
    }

    private async Task<string?> Verify(JsonObject example, CancellationToken ct)
    {
        var shown = new JsonObject { ["messages"] = example["messages"]!.DeepClone() };
        var response = await verifier!.GetResponseAsync([new ChatMessage(ChatRole.System, VerifierInstruction), new ChatMessage(ChatRole.User, shown.ToJsonString())],
            new ChatOptions { Temperature = 0, Seed = 1 }, ct).ConfigureAwait(false);
        var verdict = ModelVerdict.Read(response.Text);
        if (verdict?["ok"] is JsonValue v && v.TryGetValue<bool>(out var ok))
            return ok ? null : (ModelVerdict.String(verdict, "reason") is { Length: > 0 } r ? r : "the verifier found the answer wrong (no reason given).");
        return $"the verifier's answer is not {{\"ok\": true|false, ...}}: {Preview(response.Text)}";
    }

    private static string Preview(string s) => s.Length <= 120 ? s : s[..117] + "...";

    private static JsonElement ToElement(JsonObject o) => JsonSerializer.SerializeToElement(o);
}
