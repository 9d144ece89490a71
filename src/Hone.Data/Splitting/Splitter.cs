using Hone.Core;
using Hone.Data.Import;
using Hone.Data.Similarity;

namespace Hone.Data.Splitting;

/// <summary>
/// Deterministic, stratified, grouped train/validation(/test) split.
/// <list type="number">
/// <item>Examples that share a <see cref="SplitOptions.GroupBy"/> value or are near-duplicates (MinHash + exact Jaccard,
/// <see cref="NearDuplicateFinder"/>) are joined into units (union-find); a unit never straddles splits.</item>
/// <item>Each unit takes its members' majority label (ties: the ordinally smallest); units are stratified by it.</item>
/// <item>Per label with n examples, the targets are valid = round(n·v), test = round(n·(v+t)) − valid, train = the rest,
/// so each split holds each label's share to within one example.</item>
/// <item>Within a label, units are shuffled (SplitMix64, the seed), then placed largest first, each into the split with
/// the most room left that can take it whole (or, when none can, the one with the most room).</item>
/// </list>
/// Outputs keep each example's original JSON text, in input order, written atomically.
/// </summary>
public static class Splitter
{
    /// <summary>Splits the input and writes the split files (only when every record is usable, or <see cref="SplitOptions.SkipInvalid"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options, too many labels to stratify, or a split that would be empty.</exception>
    /// <exception cref="InvalidRecordsException">Unreadable or unlabelled records without <see cref="SplitOptions.SkipInvalid"/>; nothing is written.</exception>
    /// <exception cref="FileNotFoundException">No input file.</exception>
    public static SplitResult Split(SplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var context = new ImportContext(options.InputPath, options.MaxProblems);
        var records = DatasetRecords.Load(options.InputPath, options.Stratify, options.GroupBy, options.GroupNearDuplicates, context);
        context.EnsureWritable(options.SkipInvalid);
        if (options.Stratify is not null) DatasetRecords.EnsureSmallLabelSet(records, options.Stratify, options.MaxLabels, options.InputPath);

        // 1. Units.
        var uf = new UnionFind(records.Count);
        if (options.GroupBy is not null)
        {
            var firstOf = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var r in records)
            {
                if (r.GroupKey is null) continue;
                if (firstOf.TryGetValue(r.GroupKey, out var f)) uf.Union(f, r.Index);
                else firstOf[r.GroupKey] = r.Index;
            }
        }
        var nearGroups = 0;
        if (options.GroupNearDuplicates && records.Count > 1)
        {
            var near = new NearDuplicateFinder(options.NearDuplicates).Find(records.Select(r => r.Text).ToList());
            nearGroups = near.Groups.Count;
            foreach (var g in near.Groups)
                for (var i = 1; i < g.Count; i++) uf.Union(g[0], g[i]);
        }
        var units = uf.Sets().Select(s => s.Select(i => records[i]).ToList()).ToList();

        // 2. Strata by majority label.
        var strata = units.GroupBy(MajorityLabel).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var names = options.TestFraction > 0 ? new[] { "train", "valid", "test" } : ["train", "valid"];
        var assigned = names.ToDictionary(n => n, _ => new List<DatasetRecord>());
        var shuffle = new SeededShuffle(options.Seed);
        foreach (var stratum in strata)
        {
            var list = stratum.ToList();
            var n = list.Sum(u => u.Count);
            var valid = (int)Math.Round(n * options.ValidFraction, MidpointRounding.AwayFromZero);
            var validTest = (int)Math.Round(n * (options.ValidFraction + options.TestFraction), MidpointRounding.AwayFromZero);
            var room = new Dictionary<string, int> { ["train"] = n - validTest, ["valid"] = valid };
            if (options.TestFraction > 0) room["test"] = validTest - valid;
            else room["train"] += validTest - valid;
            shuffle.Shuffle(list);
            foreach (var unit in list.OrderByDescending(u => u.Count))
            {
                var fits = names.Where(s => room[s] >= unit.Count).ToList();
                var target = (fits.Count > 0 ? fits : names.ToList()).OrderByDescending(s => room[s]).First();
                room[target] -= unit.Count;
                assigned[target].AddRange(unit);
            }
        }

        foreach (var name in names)
        {
            if (assigned[name].Count == 0)
                throw new ArgumentException($"Split: the {name} split would be empty ({records.Count} usable examples); add examples or change the fractions.");
        }

        // 3. Write.
        var paths = options.OutputPaths();
        var parts = new List<SplitPart>();
        foreach (var name in names)
        {
            var members = assigned[name].OrderBy(r => r.Index).ToList();
            AtomicFile.WriteText(paths[name], w =>
            {
                foreach (var r in members) { w.Write(r.Raw); w.Write('\n'); }
            });
            parts.Add(new SplitPart(name, paths[name], members.Count,
                options.Stratify is null ? new Dictionary<string, int>() : DatasetRecords.Distribution(members),
                members.Select(r => r.Line).ToList()));
        }
        var labels = options.Stratify is null ? new Dictionary<string, int>() : DatasetRecords.Distribution(records);
        return new SplitResult(parts, records.Count, labels, units.Count, nearGroups, context.Problems, context.ProblemCount);
    }

    private static string MajorityLabel(List<DatasetRecord> unit) =>
        unit.GroupBy(r => r.Label ?? "").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
}
