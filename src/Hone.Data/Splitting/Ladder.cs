using System.Globalization;
using Hone.Core;
using Hone.Data.Import;

namespace Hone.Data.Splitting;

/// <summary>
/// <c>hone data ladder</c>: nested subsets for "double the data, measure the gain".
/// </summary>
public sealed record LadderOptions
{
    /// <summary>The JSONL training file; never modified.</summary>
    public required string InputPath { get; init; }

    /// <summary>Folder for the subsets; default the input's folder. Files: <c>NAME.ladder-SIZE.jsonl</c>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Subset sizes, ascending; null means auto: 25, 50, 100, 200, … (doubling) below n, then n.</summary>
    public IReadOnlyList<int>? Sizes { get; init; }

    /// <summary>Stratify by: null, <c>"label"</c> (the assistant's final answer) or a top-level field; see <see cref="LabelRule"/>.</summary>
    public string? Stratify { get; init; }

    /// <summary>Seed: the same input, options and seed give the same subsets.</summary>
    public long Seed { get; init; }

    /// <summary>Stratifying needs at most this many distinct labels. Default 50.</summary>
    public int MaxLabels { get; init; } = 50;

    /// <summary>At most this many problems are listed. Default 1,000.</summary>
    public int MaxProblems { get; init; } = 1000;

    /// <summary>Inputs larger than this are refused. Default 1 GiB.</summary>
    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>Leave out unreadable or unlabelled records (they are listed) instead of refusing. Default false: nothing is written then.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Parses the CLI form: <c>auto</c> or a comma-separated list such as <c>25,50,100</c>.</summary>
    /// <exception cref="ArgumentException">Not auto and not a list of positive integers.</exception>
    public static IReadOnlyList<int>? ParseSizes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new ArgumentException($"Ladder: size '{part}' is not a positive whole number; write auto or a list like 25,50,100.");
            sizes.Add(n);
        }
        return sizes;
    }

    /// <summary>Checks the options once; throws with what is wrong and how to fix it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputPath)) throw new ArgumentException("Ladder: no input file given.", nameof(InputPath));
        if (!File.Exists(InputPath)) throw new FileNotFoundException($"Ladder: input file '{InputPath}' does not exist.", InputPath);
        if (new FileInfo(InputPath).Length > MaxInputBytes)
            throw new ArgumentException($"Ladder: '{InputPath}' is over the {MaxInputBytes:N0}-byte limit; raise MaxInputBytes.", nameof(MaxInputBytes));
        if (Sizes is not null)
        {
            if (Sizes.Count == 0) throw new ArgumentException("Ladder: the size list is empty; write auto or sizes like 25,50,100.", nameof(Sizes));
            for (var i = 0; i < Sizes.Count; i++)
            {
                if (Sizes[i] < 1) throw new ArgumentException($"Ladder: size {Sizes[i]} must be positive.", nameof(Sizes));
                if (i > 0 && Sizes[i] <= Sizes[i - 1]) throw new ArgumentException($"Ladder: sizes must increase ({Sizes[i - 1]} then {Sizes[i]}).", nameof(Sizes));
            }
        }
        if (Stratify is not null && string.IsNullOrWhiteSpace(Stratify)) throw new ArgumentException("Ladder: the stratify field is empty.", nameof(Stratify));
        if (MaxLabels < 1) throw new ArgumentException($"Ladder: MaxLabels {MaxLabels} must be positive.", nameof(MaxLabels));
    }

    /// <summary>The auto sizes for n examples: 25, 50, 100, … while below n, then n.</summary>
    public static IReadOnlyList<int> AutoSizes(int n)
    {
        var sizes = new List<int>();
        for (var s = 25; s < n; s = checked(s * 2)) sizes.Add(s);
        if (n > 0) sizes.Add(n);
        return sizes;
    }
}

/// <summary>One rung of a ladder.</summary>
/// <param name="Size">Examples in the subset.</param>
/// <param name="Path">The file written.</param>
/// <param name="Labels">Label → count (empty when not stratified).</param>
/// <param name="Lines">The 1-based input line numbers of its examples, ascending.</param>
public sealed record LadderRung(int Size, string Path, IReadOnlyDictionary<string, int> Labels, IReadOnlyList<long> Lines);

/// <summary>The outcome of <see cref="Ladder.Build"/>.</summary>
/// <param name="Rungs">Subsets, smallest first; each contains the previous ones.</param>
/// <param name="Total">Usable examples in the input.</param>
/// <param name="Labels">Label → count over the input (empty when not stratified).</param>
/// <param name="Problems">Lines left out.</param>
/// <param name="ProblemCount">All such lines.</param>
public sealed record LadderResult(IReadOnlyList<LadderRung> Rungs, int Total, IReadOnlyDictionary<string, int> Labels, IReadOnlyList<ImportProblem> Problems, int ProblemCount);

/// <summary>
/// Builds nested, stratified subsets. The examples are put in one seeded order in which every prefix is stratified:
/// each label's examples are shuffled (SplitMix64, the seed), then position k goes to the label furthest below its
/// share (k·p − taken; ties: the ordinally smallest label). The subset of size m is the first m of that order, so
/// each subset contains the smaller ones and holds each label's share of m to within one example.
/// </summary>
public static class Ladder
{
    /// <summary>Builds the ladder and writes one file per size (only when every record is usable, or <see cref="LadderOptions.SkipInvalid"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options, a size above the number of examples, or too many labels.</exception>
    /// <exception cref="InvalidRecordsException">Unreadable or unlabelled records without <see cref="LadderOptions.SkipInvalid"/>; nothing is written.</exception>
    public static LadderResult Build(LadderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var context = new ImportContext(options.InputPath, options.MaxProblems);
        var records = DatasetRecords.Load(options.InputPath, options.Stratify, null, needText: false, context);
        context.EnsureWritable(options.SkipInvalid);
        if (options.Stratify is not null) DatasetRecords.EnsureSmallLabelSet(records, options.Stratify, options.MaxLabels, options.InputPath);
        var sizes = options.Sizes ?? LadderOptions.AutoSizes(records.Count);
        if (sizes.Count == 0) throw new ArgumentException($"Ladder: '{options.InputPath}' has no usable examples.");
        if (sizes[^1] > records.Count)
            throw new ArgumentException($"Ladder: size {sizes[^1]} is more than the {records.Count} usable examples; use sizes up to {records.Count} or auto.");

        var order = StratifiedOrder(records, options.Seed);
        var dir = options.OutputDirectory ?? Path.GetDirectoryName(Path.GetFullPath(options.InputPath))!;
        var name = Path.GetFileNameWithoutExtension(options.InputPath);
        var rungs = new List<LadderRung>();
        foreach (var size in sizes)
        {
            var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{name}.ladder-{size}.jsonl"));
            if (string.Equals(Path.GetFullPath(path), Path.GetFullPath(options.InputPath), StringComparison.Ordinal))
                throw new ArgumentException($"Ladder: output '{path}' would overwrite the input; choose another output folder.");
            var members = order.Take(size).OrderBy(r => r.Index).ToList();
            AtomicFile.WriteText(path, w =>
            {
                foreach (var r in members) { w.Write(r.Raw); w.Write('\n'); }
            });
            rungs.Add(new LadderRung(size, path, options.Stratify is null ? new Dictionary<string, int>() : DatasetRecords.Distribution(members),
                members.Select(r => r.Line).ToList()));
        }
        var labels = options.Stratify is null ? new Dictionary<string, int>() : DatasetRecords.Distribution(records);
        return new LadderResult(rungs, records.Count, labels, context.Problems, context.ProblemCount);
    }

    private static List<DatasetRecord> StratifiedOrder(List<DatasetRecord> records, long seed)
    {
        var shuffle = new SeededShuffle(seed);
        var strata = records.GroupBy(r => r.Label ?? "").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var list = g.ToList();
            shuffle.Shuffle(list);
            return list;
        }).ToList();
        var n = records.Count;
        var taken = new int[strata.Count];
        var order = new List<DatasetRecord>(n);
        for (var k = 1; k <= n; k++)
        {
            var best = -1;
            var bestDeficit = double.NegativeInfinity;
            for (var s = 0; s < strata.Count; s++)
            {
                if (taken[s] == strata[s].Count) continue;
                // Deficit k·p − taken, compared exactly in integers: k·count_s/n − taken_s  ~  k·count_s − taken_s·n.
                var deficit = (double)((long)k * strata[s].Count - (long)taken[s] * n);
                if (deficit > bestDeficit) { bestDeficit = deficit; best = s; }
            }
            order.Add(strata[best][taken[best]++]);
        }
        return order;
    }
}
