using System.ClientModel;
using System.Text.Json;
using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

/// <summary>Stands in for Hone.Models' exception, which Evals recognises by its type name (it never references the engine).</summary>
#pragma warning disable CA1064, CA1032 // a test double
internal sealed class ContextOverflowException(string message) : Exception(message);
#pragma warning restore CA1064, CA1032

/// <summary>A bare HTTP response with a status, as an OpenAI-compatible endpoint's error carries.</summary>
internal sealed class StatusResponse(int status) : System.ClientModel.Primitives.PipelineResponse
{
    public override int Status => status;

    public override string ReasonPhrase => "Bad Request";

    public override Stream? ContentStream { get; set; }

    public override BinaryData Content => BinaryData.FromString("");

    protected override System.ClientModel.Primitives.PipelineResponseHeaders HeadersCore => throw new NotSupportedException();

    public override BinaryData BufferContent(CancellationToken cancellationToken = default) => Content;

    public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Content);

    public override void Dispose() { }
}

/// <summary>A case longer than the model's context never blocks a run.</summary>
public class EvalOverflowTests
{
    /// <summary>9*9 is "too long": it overflows unless truncation is asked for, then it is answered with 7 tokens dropped.</summary>
    private static CountingChatClient Model() => new((m, o, _, _) =>
    {
        var q = m[^1].Text;
        if (!q.Contains("9*9", StringComparison.Ordinal)) return Task.FromResult(CountingChatClient.Reply(EvalFixture.Solve(q)));
        if (o?.AdditionalProperties?.TryGetValue(ContextOverflow.PolicyKey, out var p) != true || (string?)p != ContextOverflow.TruncateStart)
            throw new ContextOverflowException("The prompt has 585 tokens and up to 16 new tokens are asked for, but the context holds 512.");
        var r = CountingChatClient.Reply("80");
        r.AdditionalProperties = new() { [ContextOverflow.PromptTokensDroppedKey] = 89L };
        return Task.FromResult(r);
    });

    [Fact]
    public async Task By_default_an_over_long_case_is_skipped_counted_and_the_run_completes()
    {
        using var f = new EvalFixture();
        var r = await f.Runner.RunAsync(f.Options(), Model());
        Assert.Equal(RunStatus.Succeeded, r.Run.Status);
        Assert.Equal(1, r.Summary.Skipped);
        Assert.Equal(0, r.Summary.ModelErrors);
        Assert.Equal(5, r.Summary.Graded);
        Assert.Equal(1.0, r.Summary.Accuracy); // the skipped case is no failure
        var a4 = r.Results.Single(x => x.CaseId == "a4");
        Assert.Equal(SampleStatus.Skipped, a4.Status);
        Assert.Null(a4.Error);
        Assert.Empty(a4.Grades);
        Assert.Contains("585 tokens", a4.StatusDetail, StringComparison.Ordinal);
        var line = File.ReadAllLines(r.CasesPath).Single(l => l.Contains("\"a4\"", StringComparison.Ordinal));
        Assert.Equal("skipped", JsonDocument.Parse(line).RootElement.GetProperty("status").GetString());

        // A complete run: it can be the baseline.
        var (baseline, _) = EvalRuns.MarkBaseline(f.Store, r.Run.Id);
        Assert.Equal(r.Run.Id, baseline.Id);
    }

    [Fact]
    public async Task Truncate_start_asks_the_model_to_drop_the_prompt_start_and_marks_the_case()
    {
        using var f = new EvalFixture();
        var r = await f.Runner.RunAsync(f.Options() with { OnOverflow = OverflowAction.TruncateStart }, Model());
        Assert.Equal(RunStatus.Succeeded, r.Run.Status);
        var a4 = r.Results.Single(x => x.CaseId == "a4");
        Assert.Equal(SampleStatus.Truncated, a4.Status);
        Assert.Equal(89, a4.PromptTokensDropped);
        Assert.Equal("80", a4.Output);
        Assert.False(a4.Pass);
        Assert.Equal(1, r.Summary.Truncated);
        Assert.Equal(6, r.Summary.Graded);
    }

    [Fact]
    public async Task Fail_counts_the_case_as_a_failed_call_and_a_rerun_with_skip_completes_the_same_run()
    {
        using var f = new EvalFixture();
        var failed = await f.Runner.RunAsync(f.Options(cache: false) with { OnOverflow = OverflowAction.Fail }, Model());
        Assert.Equal(RunStatus.Failed, failed.Run.Status);
        Assert.Equal(1, failed.Summary.ModelErrors);
        var a4 = failed.Results.Single(x => x.CaseId == "a4");
        Assert.Contains("--on-overflow", a4.Error, StringComparison.Ordinal);
        Assert.True(a4.IsOverLong);

        var client = Model();
        var resumed = await f.Runner.RunAsync(f.Options(cache: false), client);
        Assert.Equal(failed.Run.Id, resumed.Run.Id);
        Assert.Equal(1, client.Calls); // only the over-long case is sent again
        Assert.Equal(RunStatus.Succeeded, resumed.Run.Status);
        Assert.Equal(1, resumed.Summary.Skipped);
    }

    [Fact]
    public async Task An_endpoint_that_reports_context_length_exceeded_is_skipped_too()
    {
        using var f = new EvalFixture();
        var client = CountingChatClient.Text((q, _) => q.Contains("7*8", StringComparison.Ordinal)
            ? throw new ClientResultException("HTTP 400 (invalid_request_error: context_length_exceeded) This model's maximum context length is 512 tokens.", new StatusResponse(400))
            : EvalFixture.Solve(q));
        var r = await f.Runner.RunAsync(f.Options(), client);
        Assert.Equal(SampleStatus.Skipped, r.Results.Single(x => x.CaseId == "a5").Status);
        Assert.Equal(RunStatus.Succeeded, r.Run.Status);
    }

    [Fact]
    public async Task Other_failures_are_still_model_errors()
    {
        using var f = new EvalFixture();
        var client = CountingChatClient.Text((q, _) => q.Contains("7*8", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : EvalFixture.Solve(q));
        var r = await f.Runner.RunAsync(f.Options(), client);
        Assert.Equal(SampleStatus.Error, r.Results.Single(x => x.CaseId == "a5").Status);
        Assert.Equal(0, r.Summary.Skipped);
        Assert.Equal(RunStatus.Failed, r.Run.Status);
    }

    [Fact]
    public async Task The_run_records_the_input_and_the_reference_of_each_case()
    {
        using var f = new EvalFixture();
        var r = await f.Runner.RunAsync(f.Options(), Model());
        var a1 = r.Results.Single(x => x.CaseId == "a1");
        Assert.Equal("2", a1.Reference); // the exact grader's reference, {{item.answer}}
        Assert.Equal("user", a1.Input!.Value[1].GetProperty("role").GetString());
        Assert.Equal("What is 1+1?", a1.Input!.Value[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_model_with_another_identity_is_another_run_and_another_cache_entry()
    {
        using var f = new EvalFixture();
        static CountingChatClient Local(char c) => new((m, _, _, _) => Task.FromResult(CountingChatClient.Reply(EvalFixture.Solve(m[^1].Text))))
        {
            Metadata = new ChatClientMetadata("hone", new Uri("urn:hone:model:sha256:" + new string(c, 64)), "merged"),
        };
        var first = await f.Runner.RunAsync(f.Options(), Local('a'));
        var second = Local('b');
        var r = await f.Runner.RunAsync(f.Options(), second);
        Assert.Equal(6, second.Calls);
        Assert.Equal(0, r.Summary.CacheHits);
        Assert.Equal("urn:hone:model:sha256:" + new string('b', 64), f.Store.GetTags(r.Run.Id)["eval.model_uri"]);
        Assert.NotEqual(first.Run.Id, r.Run.Id);
    }
}
