using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Evals.Tests.Compare;
using Hone.Store;
using Hone.Testing;

namespace Hone.Evals.Tests.EdgeCases;

public class EdgeCaseBookTests
{
    private static LoadedEvalRun At(LoadedEvalRun run, int minute) =>
        run with { Run = run.Run with { CreatedUtc = new DateTime(2026, 1, 1, 0, minute, 0, DateTimeKind.Utc) } };

    private static string[] Tags(int i) => i < 2 ? ["units"] : [];

    [Fact]
    public void Add_turns_a_runs_failures_into_a_named_edge_case_once()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "evals", EdgeCaseBook.FileName);
        var run = RunComparisonTests.Run("R1", i => i is not (1 or 4), cases: 6);
        var (added, already) = EdgeCaseBook.Add(path, run, " negation ", now: new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(["c1", "c4"], added.Select(e => e.CaseId));
        Assert.Empty(already);
        Assert.All(added, e => Assert.Equal(("negation", "spec", "R1"), (e.Name, e.Spec, e.FromRun)));

        // Again: nothing new; explicit cases are added even when they pass.
        var again = EdgeCaseBook.Add(path, run, "negation");
        Assert.Empty(again.Added);
        Assert.Equal(["c1", "c4"], again.AlreadyThere);
        var explicitCases = EdgeCaseBook.Add(path, run, "negation", ["c0", "c1"]);
        Assert.Equal(["c0"], explicitCases.Added.Select(e => e.CaseId));

        var book = EdgeCaseBook.Load(path);
        Assert.Equal(["c1", "c4", "c0"], book.Select(e => e.CaseId));
        Assert.Equal(new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc), book[0].AddedUtc);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Bad_names_unknown_cases_and_damaged_lines_are_clear_errors()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, EdgeCaseBook.FileName);
        var run = RunComparisonTests.Run("R1", _ => false, cases: 3);
        Assert.Throws<ArgumentException>(() => EdgeCaseBook.Add(path, run, "  "));
        Assert.Throws<ArgumentException>(() => EdgeCaseBook.Add(path, run, "bad\u0001name"));
        var unknown = Assert.Throws<WorkspaceException>(() => EdgeCaseBook.Add(path, run, "x", ["c9"]));
        Assert.Contains("'c9'", unknown.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        File.WriteAllText(path, "{\"name\":\"a\",\"spec\":\"s\",\"case_id\":\"c\",\"from_run\":\"r\",\"added_utc\":\"2026-01-01T00:00:00Z\"}\n\nnot json\n");
        var bad = Assert.Throws<InvalidDataException>(() => EdgeCaseBook.Load(path));
        Assert.Contains(":3:", bad.Message, StringComparison.Ordinal);
        File.WriteAllText(path, "{\"name\":\"a\",\"spec\":\"s\"}\n");
        Assert.Contains(":1:", Assert.Throws<InvalidDataException>(() => EdgeCaseBook.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalog_tracks_tags_and_added_cases_across_runs_oldest_first()
    {
        // Run 1 fails c1 and c3; run 2 (newer) fails only c3. "units" tags c0, c1; "hard" was added for c3 (and c1).
        var r1 = At(RunComparisonTests.Run("R1", i => i is not (1 or 3), cases: 5, tags: Tags), 1);
        var r2 = At(RunComparisonTests.Run("R2", i => i != 3, cases: 5, tags: Tags), 2);
        var book = new List<EdgeCaseEntry>
        {
            new("hard", "spec", "c3", "R1", DateTime.UnixEpoch),
            new("hard", "spec", "c1", "R1", DateTime.UnixEpoch),
            new("hard", "other-spec", "c0", "X", DateTime.UnixEpoch),
        };
        var golden = new Dictionary<string, IReadOnlyList<GoldenCase>>(StringComparer.Ordinal)
        {
            ["fresh"] = GoldenSet.Parse(["{\"id\": \"f1\", \"question\": \"q\", \"tags\": [\"never-run\"]}"], "fresh.jsonl"),
        };
        var catalog = EdgeCaseCatalog.Build([r2, r1], golden, book);
        Assert.Equal(["hard", "never-run", "units"], catalog.Select(e => e.Name));

        var hard = catalog[0];
        Assert.False(hard.FromTag);
        Assert.Equal(3, hard.KnownCases);
        Assert.Equal(["R1", "R2"], hard.History.Select(h => h.RunId));
        Assert.Equal((2, 0, "c1,c3"), (hard.History[0].Cases, hard.History[0].Passing, string.Join(",", hard.History[0].Failing)));
        Assert.Equal((2, 1, "c3"), (hard.History[1].Cases, hard.History[1].Passing, string.Join(",", hard.History[1].Failing)));
        Assert.Equal("R2", hard.Latest!.RunId);
        var outputs = EdgeCaseCatalog.Outputs(r2, hard);
        Assert.Equal([("c1", true, "right"), ("c3", false, "wrong")], outputs.Select(o => (o.CaseId, o.Pass, o.Output)));

        var neverRun = catalog[1];
        Assert.True(neverRun.FromTag);
        Assert.Equal(1, neverRun.KnownCases);
        Assert.Empty(neverRun.History);
        Assert.Null(neverRun.Latest);

        var units = catalog[2];
        Assert.Equal([1, 2], units.History.Select(h => h.Passing));
    }
}
