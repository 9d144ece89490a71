using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

/// <summary>A chat client whose answer the test computes from the request; it counts the calls that reach it.</summary>
internal sealed class CountingChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, int, CancellationToken, Task<ChatResponse>> answer) : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public static CountingChatClient Text(Func<string, ChatOptions?, string> reply) =>
        new((m, o, _, _) => Task.FromResult(Reply(reply(m[^1].Text, o))));

    /// <summary>The client's metadata (null: none).</summary>
    public ChatClientMetadata? Metadata { get; init; }

    public static ChatResponse Reply(string text) => new(new ChatMessage(ChatRole.Assistant, text))
    {
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
    };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var n = Interlocked.Increment(ref _calls);
        return answer(messages.ToList(), options, n, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType == typeof(ChatClientMetadata) ? Metadata : null;

    public void Dispose()
    {
    }
}

/// <summary>A workspace with a six-case arithmetic golden set and a spec graded by exact match.</summary>
internal sealed class EvalFixture : IDisposable
{
    public const string Golden = """
        {"id": "a1", "question": "1+1", "answer": "2", "tags": ["easy"]}
        {"id": "a2", "question": "2+2", "answer": "4", "tags": ["easy"]}
        {"id": "a3", "question": "3+3", "answer": "6"}
        {"id": "a4", "question": "9*9", "answer": "81", "tags": ["hard"]}
        {"id": "a5", "question": "7*8", "answer": "56", "tags": ["hard"]}
        {"id": "a6", "question": "5-7", "answer": "-2", "tags": ["hard", "negative"]}
        """;

    public const string Spec = """
        name: arith
        golden_set: golden.jsonl
        prompt:
          system: Answer with the number only.
          template: "What is {{item.question}}?"
        model: fake:m
        graders:
          - type: string_check
            name: exact
            input: "{{sample.output_text}}"
            reference: "{{item.answer}}"
            operation: eq
        concurrency: 2
        """;

    public EvalFixture(string? spec = null, string? golden = null)
    {
        Dir = TestAssets.NewTempDir();
        Workspace = Workspace.Init(Dir);
        File.WriteAllText(Path.Combine(Workspace.EvalsDir, "golden.jsonl"), golden ?? Golden);
        SpecPath = Path.Combine(Workspace.EvalsDir, "arith.yaml");
        File.WriteAllText(SpecPath, spec ?? Spec);
        Store = Workspace.OpenStore();
    }

    public string Dir { get; }

    public Workspace Workspace { get; }

    public string SpecPath { get; }

    public RunStore Store { get; }

    public EvalRunner Runner => new(Store, Workspace.RunsDir);

    public EvalRunOptions Options(int? repeats = null, int? concurrency = null, bool cache = true) => new()
    {
        Spec = EvalSpec.Load(SpecPath),
        Model = "fake:m",
        Repeats = repeats,
        Concurrency = concurrency,
        UseCache = cache,
        MaxRetries = 0,
    };

    /// <summary>The right answer for "What is Q?", computed independently of the golden set.</summary>
    public static string Solve(string prompt)
    {
        var q = prompt.Replace("What is ", "", StringComparison.Ordinal).TrimEnd('?');
        foreach (var op in new[] { '+', '*', '-' })
        {
            var i = q.IndexOf(op, 1);
            if (i < 0) continue;
            int x = int.Parse(q[..i], System.Globalization.CultureInfo.InvariantCulture), y = int.Parse(q[(i + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return (op switch { '+' => x + y, '*' => x * y, _ => x - y }).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("unexpected prompt " + prompt);
    }

    public void Dispose() => Store.Dispose();
}
