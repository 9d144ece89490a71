using Hone.Data.Import;
using Hone.Data.Splitting;

namespace Hone.App.Data;

/// <summary>What <see cref="DataSplit.Split"/> is asked: the split's options, their paths relative to <paramref name="WorkingDirectory"/>.</summary>
/// <param name="Options">The split (the input is never modified).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataSplitRequest(SplitOptions Options, string WorkingDirectory);

/// <summary>What <see cref="DataSplit.Ladder"/> is asked: the ladder's options, their paths relative to <paramref name="WorkingDirectory"/>.</summary>
/// <param name="Options">The ladder (the input is never modified).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
public sealed record DataLadderRequest(LadderOptions Options, string WorkingDirectory);

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
        var o = request.Options;
        var r = Splitter.Split(o with { InputPath = At(o.InputPath), OutputDirectory = o.OutputDirectory is { } d ? At(d) : null });
        return new DataSplitResponse(r.Total, r.Units, r.NearDuplicateGroups, r.Labels, [.. r.Parts.Select(p => new DataSplitPart(p.Name, p.Path, p.Count, p.Labels))],
            r.Problems) { ProblemCount = r.ProblemCount };
    }

    /// <summary>Builds the nested subsets and writes one file per size.</summary>
    public static DataLadderResponse Ladder(DataLadderRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var o = request.Options;
        var r = Hone.Data.Splitting.Ladder.Build(o with { InputPath = At(o.InputPath), OutputDirectory = o.OutputDirectory is { } d ? At(d) : null });
        return new DataLadderResponse(r.Total, r.Labels, [.. r.Rungs.Select(x => new DataLadderRung(x.Size, x.Path, x.Labels))], r.Problems)
            { ProblemCount = r.ProblemCount };
    }
}
