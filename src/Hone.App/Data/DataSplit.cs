using Hone.Data.Import;
using Hone.Data.Splitting;

namespace Hone.App.Data;

/// <summary>What <see cref="DataSplit.Split"/> is asked.</summary>
/// <param name="File">The JSONL file to split (at <paramref name="WorkingDirectory"/>; never modified).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataSplitRequest(string File, string WorkingDirectory)
{
    /// <summary>The folder for the split files, or null for beside the file.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Fraction for the validation split.</summary>
    public double ValidFraction { get; init; } = 0.2;

    /// <summary>Fraction for a test split (0: none).</summary>
    public double TestFraction { get; init; }

    /// <summary>'label' or a top-level field to keep proportions of, or null.</summary>
    public string? Stratify { get; init; }

    /// <summary>A top-level field whose equal values stay in one split, or null.</summary>
    public string? GroupBy { get; init; }

    /// <summary>Keep near-duplicates in one split.</summary>
    public bool GroupNearDuplicates { get; init; } = true;

    /// <summary>The seed: the same seed gives the same split.</summary>
    public long Seed { get; init; }

    /// <summary>Leave out unreadable or unlabelled lines instead of writing nothing.</summary>
    public bool SkipInvalid { get; init; }
}

/// <summary>What <see cref="DataSplit.Ladder"/> is asked.</summary>
/// <param name="File">The JSONL training file (at <paramref name="WorkingDirectory"/>; never modified).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataLadderRequest(string File, string WorkingDirectory)
{
    /// <summary>The folder for the subsets, or null for beside the file.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Subset sizes, or null for auto (25, 50, 100, … up to the file's size).</summary>
    public IReadOnlyList<int>? Sizes { get; init; }

    /// <summary>'label' or a top-level field to keep proportions of, or null.</summary>
    public string? Stratify { get; init; }

    /// <summary>The seed: the same seed gives the same subsets.</summary>
    public long Seed { get; init; }

    /// <summary>Leave out unreadable or unlabelled lines instead of writing nothing.</summary>
    public bool SkipInvalid { get; init; }
}

/// <summary>One file a split wrote.</summary>
/// <param name="Name">train, valid or test.</param>
/// <param name="Path">The file.</param>
/// <param name="Count">Examples in it.</param>
/// <param name="Labels">Label → count (empty when not stratified).</param>
public sealed record DataSplitPart(string Name, string Path, int Count, IReadOnlyDictionary<string, int> Labels);

/// <summary>The result of <see cref="DataSplit.Split"/> (its <c>--json</c> document).</summary>
/// <param name="Total">Examples split.</param>
/// <param name="Units">Groups kept together.</param>
/// <param name="NearDuplicateGroups">Near-duplicate groups kept within one split.</param>
/// <param name="Labels">Label → count over all examples.</param>
/// <param name="Parts">train, valid, then test if asked.</param>
/// <param name="Problems">Lines left out (listed).</param>
public sealed record DataSplitResponse(int Total, int Units, int NearDuplicateGroups, IReadOnlyDictionary<string, int> Labels, IReadOnlyList<DataSplitPart> Parts,
    IReadOnlyList<ImportProblem> Problems)
{
    /// <summary>All lines left out, listed or not.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ProblemCount { get; init; }
}

/// <summary>One subset a ladder wrote.</summary>
/// <param name="Size">Examples in it.</param>
/// <param name="Path">The file.</param>
/// <param name="Labels">Label → count (empty when not stratified).</param>
public sealed record DataLadderRung(int Size, string Path, IReadOnlyDictionary<string, int> Labels);

/// <summary>The result of <see cref="DataSplit.Ladder"/> (its <c>--json</c> document).</summary>
/// <param name="Total">Usable examples in the input.</param>
/// <param name="Labels">Label → count over the input.</param>
/// <param name="Rungs">Subsets, smallest first.</param>
/// <param name="Problems">Lines left out (listed).</param>
public sealed record DataLadderResponse(int Total, IReadOnlyDictionary<string, int> Labels, IReadOnlyList<DataLadderRung> Rungs, IReadOnlyList<ImportProblem> Problems)
{
    /// <summary>All lines left out, listed or not.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ProblemCount { get; init; }
}

/// <summary>
/// Use cases "split a dataset" (deterministic train/valid(/test), stratified, near-duplicates kept together) and "build a
/// ladder" (nested stratified subsets for the double-the-data step).
/// </summary>
public static class DataSplit
{
    /// <summary>Splits the file and writes one file per split.</summary>
    public static DataSplitResponse Split(DataSplitRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var r = Splitter.Split(new SplitOptions
        {
            InputPath = At(request.File),
            OutputDirectory = request.OutputDirectory is { } o ? At(o) : null,
            ValidFraction = request.ValidFraction,
            TestFraction = request.TestFraction,
            Stratify = request.Stratify,
            GroupBy = request.GroupBy,
            GroupNearDuplicates = request.GroupNearDuplicates,
            Seed = request.Seed,
            SkipInvalid = request.SkipInvalid,
        });
        return new DataSplitResponse(r.Total, r.Units, r.NearDuplicateGroups, r.Labels, [.. r.Parts.Select(p => new DataSplitPart(p.Name, p.Path, p.Count, p.Labels))],
            r.Problems) { ProblemCount = r.ProblemCount };
    }

    /// <summary>Builds the nested subsets and writes one file per size.</summary>
    public static DataLadderResponse Ladder(DataLadderRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var r = Hone.Data.Splitting.Ladder.Build(new LadderOptions
        {
            InputPath = At(request.File),
            OutputDirectory = request.OutputDirectory is { } o ? At(o) : null,
            Sizes = request.Sizes,
            Stratify = request.Stratify,
            Seed = request.Seed,
            SkipInvalid = request.SkipInvalid,
        });
        return new DataLadderResponse(r.Total, r.Labels, [.. r.Rungs.Select(x => new DataLadderRung(x.Size, x.Path, x.Labels))], r.Problems)
            { ProblemCount = r.ProblemCount };
    }
}
