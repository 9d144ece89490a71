using Hone.Data.Import;
using Hone.Data.Model;
using Hone.Data.Similarity;
using Hone.Data.Splitting;
using Hone.Data.Tests.Import;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Splitting;

public class SplitAndLadderTests
{
    private static (string Dir, string Path) AgNews()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "ag.jsonl");
        Assert.Equal(2000, Importers.Import(CsvImportTests.AgNewsOptions(path)).Imported);
        return (dir, path);
    }

    private static string LabelOf(string line) => OpenAiJson.ParseChat(line).Messages[^1].ContentText();

    /// <summary>|count − n·fraction| ≤ 1, in exact integer arithmetic with the fraction as num/den.</summary>
    private static void WithinOne(int count, int n, int num, int den, string what) =>
        Assert.True(Math.Abs((long)count * den - (long)n * num) <= den, $"{what}: {count} vs {n}·{num}/{den}");

    [Fact]
    public void AG_news_split_keeps_each_class_share_within_one_example_and_never_splits_near_duplicates()
    {
        var (dir, path) = AgNews();
        var before = File.ReadAllBytes(path);
        var result = Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.2, TestFraction = 0.1, Stratify = "label", Seed = 42, OutputDirectory = Path.Combine(dir, "out") });
        Assert.Equal(2000, result.Total);
        Assert.Equal(["train", "valid", "test"], result.Parts.Select(p => p.Name));

        // Recount from the written files, independently of the result.
        var files = result.Parts.ToDictionary(p => p.Name, p => File.ReadAllLines(p.Path));
        var all = File.ReadAllLines(path);
        Assert.Equal(all.Order(StringComparer.Ordinal), files.Values.SelectMany(x => x).Order(StringComparer.Ordinal));
        var classCounts = all.GroupBy(LabelOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, classCounts.Count);
        var fractions = new Dictionary<string, (int Num, int Den)> { ["train"] = (7, 10), ["valid"] = (2, 10), ["test"] = (1, 10) };
        foreach (var (name, lines) in files)
        {
            var byClass = lines.GroupBy(LabelOf).ToDictionary(g => g.Key, g => g.Count());
            foreach (var (label, n) in classCounts)
                WithinOne(byClass.GetValueOrDefault(label), n, fractions[name].Num, fractions[name].Den, $"{name}/{label}");
            Assert.Equal(byClass.OrderBy(k => k.Key, StringComparer.Ordinal), result.Parts.Single(p => p.Name == name).Labels);
            // Split sizes: each class rounds on its own, so the total is within one example per class.
            Assert.InRange(lines.Length, (2000 * fractions[name].Num / fractions[name].Den) - 4, (2000 * fractions[name].Num / fractions[name].Den) + 4);
        }

        // Near-duplicates (the splitter's own comparable text: non-system messages) never straddle splits.
        var splitOf = files.SelectMany(kv => kv.Value.Select(l => (Line: l, Split: kv.Key))).ToList();
        var texts = splitOf.Select(x => string.Join("\n", OpenAiJson.ParseChat(x.Line).Messages.Where(m => m.Role != ChatRole.System).Select(m => m.ContentText()))).ToList();
        var near = new NearDuplicateFinder().Find(texts);
        foreach (var p in near.Pairs) Assert.Equal(splitOf[p.First].Split, splitOf[p.Second].Split);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Split_is_deterministic_per_seed()
    {
        var (dir, path) = AgNews();
        SplitResult Run(long seed, string sub) => Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.25, Stratify = "label", Seed = seed, OutputDirectory = Path.Combine(dir, sub) });
        var a = Run(7, "a");
        var b = Run(7, "b");
        var c = Run(8, "c");
        Assert.Equal(a.Parts[1].Lines, b.Parts[1].Lines);
        Assert.Equal(File.ReadAllBytes(a.Parts[0].Path), File.ReadAllBytes(b.Parts[0].Path));
        Assert.NotEqual(a.Parts[1].Lines, c.Parts[1].Lines);
        Assert.Equal(2, a.Parts.Count);
    }

    [Fact]
    public void Group_key_and_near_duplicates_keep_examples_together()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "g.jsonl");
        var lines = new List<string>();
        var rng = new Random(3);
        for (var i = 0; i < 60; i++)
        {
            var words = string.Join(' ', Enumerable.Range(0, 12).Select(_ => "w" + rng.Next(10_000)));
            lines.Add($$"""{"messages": [{"role": "user", "content": "{{words}}"}, {"role": "assistant", "content": "{{(i % 2 == 0 ? "yes" : "no")}}"}], "customer": "c{{i % 10}}"}""");
        }
        // Two near-copies of line 0 (case and punctuation differ) without a customer key.
        var first = OpenAiJson.ParseChat(lines[0]).Messages[0].ContentText();
        lines.Add($$"""{"messages": [{"role": "user", "content": "{{first.ToUpperInvariant()}}!"}, {"role": "assistant", "content": "yes"}]}""");
        lines.Add($$"""{"messages": [{"role": "user", "content": "{{first}}."}, {"role": "assistant", "content": "no"}]}""");
        File.WriteAllLines(path, lines);
        var result = Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.3, GroupBy = "customer", Seed = 1 });
        var splitOfLine = result.Parts.SelectMany(p => p.Lines.Select(l => (l, p.Name))).ToDictionary(x => x.l, x => x.Name);
        Assert.Equal(62, splitOfLine.Count);
        for (var i = 0; i < 60; i++) Assert.Equal(splitOfLine[1 + (i % 10)], splitOfLine[1 + i]);
        Assert.Equal(splitOfLine[1], splitOfLine[61]);
        Assert.Equal(splitOfLine[1], splitOfLine[62]);
        Assert.Equal(10, result.Units);
        Assert.Equal(1, result.NearDuplicateGroups);
    }

    [Fact]
    public void Bad_options_and_free_text_answers_give_clear_errors()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "f.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 80).Select(i => $$"""{"messages": [{"role": "user", "content": "q{{i}}"}, {"role": "assistant", "content": "free answer {{i}}"}]}"""));
        var e = Assert.Throws<ArgumentException>(() => Splitter.Split(new SplitOptions { InputPath = path, Stratify = "label" }));
        Assert.Contains("80 distinct labels", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.6, TestFraction = 0.4 }));
        Assert.Throws<ArgumentException>(() => Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0 }));
        Assert.Throws<FileNotFoundException>(() => Splitter.Split(new SplitOptions { InputPath = Path.Combine(dir, "none.jsonl") }));
        Assert.Contains("more than the 80", Assert.Throws<ArgumentException>(() => Ladder.Build(new LadderOptions { InputPath = path, Sizes = [25, 100] })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Ladder.Build(new LadderOptions { InputPath = path, Sizes = [50, 25] }));
        Assert.Throws<ArgumentException>(() => LadderOptions.ParseSizes("25,x"));
        Assert.Null(LadderOptions.ParseSizes("auto"));
        Assert.Equal([25, 50, 100], LadderOptions.ParseSizes("25, 50,100"));
    }

    [Theory]
    [InlineData("ag.jsonl", "ag.train.jsonl", "ag.valid.jsonl", "ag.test.jsonl")]
    [InlineData("train.jsonl", "split.train.jsonl", "split.valid.jsonl", "split.test.jsonl")]
    [InlineData("ag.train.jsonl", "ag.split.train.jsonl", "ag.split.valid.jsonl", "ag.split.test.jsonl")]
    [InlineData("news.Validation.jsonl", "news.split.train.jsonl", "news.split.valid.jsonl", "news.split.test.jsonl")]
    [InlineData("trainset.jsonl", "trainset.train.jsonl", "trainset.valid.jsonl", "trainset.test.jsonl")]
    public void Output_names_never_double_a_split_name(string input, string train, string valid, string test)
    {
        var paths = new SplitOptions { InputPath = Path.Combine("/data", input), TestFraction = 0.1 }.OutputPaths();
        Assert.Equal([train, valid, test], new[] { "train", "valid", "test" }.Select(n => Path.GetFileName(paths[n])));
        Assert.All(paths.Values, p => Assert.Equal("/data", Path.GetDirectoryName(p)));
    }

    [Fact]
    public void Unreadable_lines_refuse_the_split_unless_skipped_then_are_listed_and_left_out()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "b.jsonl");
        var lines = Enumerable.Range(0, 20).Select(i => $$"""{"messages": [{"role": "user", "content": "question number {{i}} about topic {{i * 7}}"}, {"role": "assistant", "content": "{{(i % 2 == 0 ? "A" : "B")}}"}]}""").ToList();
        lines.Insert(5, "{oops");
        File.WriteAllLines(path, lines);
        var refused = Assert.Throws<InvalidRecordsException>(() => Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.5, Stratify = "label" }));
        Assert.Contains(path + ":6:", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidRecordsException>(() => Ladder.Build(new LadderOptions { InputPath = path, Sizes = [10] }));
        Assert.Equal(["b.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName)); // nothing written
        var result = Splitter.Split(new SplitOptions { InputPath = path, ValidFraction = 0.5, Stratify = "label", SkipInvalid = true });
        Assert.Equal(20, result.Total);
        Assert.Equal(6L, Assert.Single(result.Problems).Line);
        Assert.Equal(new Dictionary<string, int> { ["A"] = 5, ["B"] = 5 }, result.Parts[1].Labels);
    }

    [Fact]
    public void AG_news_ladder_is_nested_and_keeps_class_shares_within_one_example()
    {
        var (dir, path) = AgNews();
        var result = Ladder.Build(new LadderOptions { InputPath = path, Stratify = "label", Seed = 5, OutputDirectory = Path.Combine(dir, "ladder") });
        Assert.Equal([25, 50, 100, 200, 400, 800, 1600, 2000], result.Rungs.Select(r => r.Size));
        var all = File.ReadAllLines(path);
        var classCounts = all.GroupBy(LabelOf).ToDictionary(g => g.Key, g => g.Count());
        HashSet<string>? previous = null;
        foreach (var rung in result.Rungs)
        {
            var lines = File.ReadAllLines(rung.Path);
            Assert.Equal(rung.Size, lines.Length);
            var set = lines.ToHashSet();
            Assert.Equal(rung.Size, set.Count);
            if (previous is not null) Assert.Subset(set, previous);
            previous = set;
            var byClass = lines.GroupBy(LabelOf).ToDictionary(g => g.Key, g => g.Count());
            foreach (var (label, n) in classCounts)
                WithinOne(byClass.GetValueOrDefault(label), rung.Size, n, all.Length, $"{rung.Size}/{label}");
        }
        var again = Ladder.Build(new LadderOptions { InputPath = path, Stratify = "label", Seed = 5, Sizes = [25, 100], OutputDirectory = Path.Combine(dir, "again") });
        Assert.Equal(result.Rungs[0].Lines, again.Rungs[0].Lines);
        Assert.Equal(result.Rungs[2].Lines, again.Rungs[1].Lines);
        var other = Ladder.Build(new LadderOptions { InputPath = path, Stratify = "label", Seed = 6, Sizes = [25], OutputDirectory = Path.Combine(dir, "other") });
        Assert.NotEqual(result.Rungs[0].Lines, other.Rungs[0].Lines);
    }
}
