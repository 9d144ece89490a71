using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Graders;

/// <summary>Small helpers for grader tests.</summary>
internal static class G
{
    public static GradeContext Ctx(string itemJson, string output, params ToolCall[] tools) =>
        GradeContext.FromJson(itemJson, output, tools);

    public static GradeResult Grade(IGrader g, GradeContext ctx) => g.GradeAsync(ctx, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public static IGrader Yaml(string yaml, GraderEnvironment? env = null) => GraderFactory.FromYaml(yaml, env);

    public static void AssertPass(GradeResult r)
    {
        Assert.False(r.IsError, r.Error);
        Assert.True(r.Pass, $"expected a pass, score {r.Score}, detail {r.Detail}");
    }

    public static void AssertFail(GradeResult r)
    {
        Assert.False(r.Pass, $"expected a failure, score {r.Score}");
    }

    public static void AssertError(GradeResult r, GradeErrorKind kind)
    {
        Assert.Equal(kind, r.ErrorKind);
        Assert.False(r.Pass);
        Assert.Equal(0, r.Score);
        Assert.False(string.IsNullOrWhiteSpace(r.Error));
    }
}

/// <summary>A chat client whose replies the test states; it records what it was asked.</summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<string>> _replies = new();

    public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    public ScriptedChatClient Reply(string text)
    {
        _replies.Enqueue(() => text);
        return this;
    }

    public ScriptedChatClient Throw(Exception e)
    {
        _replies.Enqueue(() => throw e);
        return this;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls.Add((messages.ToList(), options));
        if (_replies.Count == 0) throw new InvalidOperationException("the test gave no reply for this call.");
        var text = _replies.Dequeue()();
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
