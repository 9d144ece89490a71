using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Techniques;

/// <summary>A golden set of N cases (id, question, answer) with an exact-match spec, a run store for the cache, and an evaluator.</summary>
internal sealed class TechniqueFixture : IDisposable
{
    public TechniqueFixture(int cases, Func<int, string>? answer = null, string extraFields = "", string? golden = null, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        Files = new TestFiles(null, name);
        var lines = Enumerable.Range(1, cases).Select(i => $$"""{"id": "c{{i}}", "question": "question {{i}}", "answer": "{{answer?.Invoke(i) ?? "A"}}"{{extraFields}}}""");
        Files.Write("golden.jsonl", golden ?? string.Join("\n", lines));
        Spec = EvalSpec.Load(Files.Write("spec.yaml", """
            golden_set: golden.jsonl
            graders:
              - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: eq}
            price: {input_per_1m: 1, output_per_1m: 2}
            """));
        Cases = GoldenSet.Load(Spec.GoldenSetPath);
        Store = RunStore.Open(Path.Combine(Files.Dir, "hone.db"));
    }

    public TestFiles Files { get; }

    public EvalSpec Spec { get; }

    public IReadOnlyList<GoldenCase> Cases { get; }

    public RunStore Store { get; }

    public PromptEvaluator Evaluator(IChatClient model, SpendLimit? limit = null, bool cache = true) =>
        new(model, new EvaluatorOptions { Spec = Spec, Cache = cache ? Store : null, Concurrency = 2, MaxRetries = 0, Limit = limit ?? SpendLimit.None });

    public void Dispose() => Store.Dispose();
}
