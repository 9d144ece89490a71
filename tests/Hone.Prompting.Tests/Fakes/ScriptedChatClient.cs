using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Fakes;

/// <summary>An IChatClient whose answer is computed from the request by a script; counts the calls that reach it.</summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse> script, string id = "scripted") : IChatClient
{
    private int _calls;

    public ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> text, string id = "scripted")
        : this((m, _) => Reply(text(m)), id) { }

    public int Calls => Volatile.Read(ref _calls);

    public List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = [];

    public static ChatResponse Reply(string text, int inTokens = 10, int outTokens = 2) =>
        new(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = inTokens, OutputTokenCount = outTokens }, FinishReason = ChatFinishReason.Stop };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var list = messages.ToList();
        lock (Requests) Requests.Add((list, options));
        return Task.FromResult(script(list, options));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", new Uri("fake://" + id), id) : null;

    public void Dispose() { }

    /// <summary>The system and user text of a request, joined.</summary>
    public static string Prompt(IReadOnlyList<ChatMessage> m) => string.Join("\n", m.Where(x => x.Role == ChatRole.System || x.Role == ChatRole.User).Select(x => x.Text));

    /// <summary>The last user message of a request.</summary>
    public static string LastUser(IReadOnlyList<ChatMessage> m) => m.Last(x => x.Role == ChatRole.User).Text;
}
