using Hone.Data.Import;
using Hone.Data.Similarity;

namespace Hone.Data.Splitting;

/// <summary>
/// <c>hone data split</c>: a deterministic train/validation(/test) split of a JSONL dataset.
/// </summary>
public sealed record SplitOptions
{
    /// <summary>The JSONL file to split (any kind); never modified.</summary>
    public required string InputPath { get; init; }

    /// <summary>Folder for the outputs; default the input's folder. Files: see <see cref="OutputPaths"/>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Fraction of examples for validation, in (0, 1).</summary>
    public double ValidFraction { get; init; } = 0.2;

    /// <summary>Fraction for a test split, in [0, 1); 0 (default) writes no test file. Valid + test must stay below 1.</summary>
    public double TestFraction { get; init; }

    /// <summary>
    /// Stratify by: null (no stratification), <c>"label"</c> (the assistant's final answer, see <see cref="LabelRule"/>),
    /// or the name of a top-level field.
    /// </summary>
    public string? Stratify { get; init; }

    /// <summary>A top-level field whose equal values must stay in one split (e.g. a customer or document id).</summary>
    public string? GroupBy { get; init; }

    /// <summary>Keep near-duplicates (MinHash, <see cref="NearDuplicates"/> threshold) in one split. Default true.</summary>
    public bool GroupNearDuplicates { get; init; } = true;

    /// <summary>Near-duplicate settings; default Jaccard ≥ 0.8 on word 3-grams.</summary>
    public NearDuplicateOptions NearDuplicates { get; init; } = new();

    /// <summary>Seed: the same input, options and seed give the same split.</summary>
    public long Seed { get; init; }

    /// <summary>Stratifying needs at most this many distinct labels. Default 50.</summary>
    public int MaxLabels { get; init; } = 50;

    /// <summary>At most this many problems are listed. Default 1,000.</summary>
    public int MaxProblems { get; init; } = 1000;

    /// <summary>Inputs larger than this are refused (split holds the file in memory). Default 1 GiB.</summary>
    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>Leave out unreadable or unlabelled records (they are listed) instead of refusing. Default false: nothing is written then.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Names that mark a file as one split already; an input named so does not get them twice (see <see cref="OutputPaths"/>).</summary>
    public static IReadOnlyList<string> SplitNames { get; } = ["train", "valid", "validation", "test", "dev", "eval"];

    /// <summary>Checks the options once; throws with what is wrong and how to fix it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputPath)) throw new ArgumentException("Split: no input file given.", nameof(InputPath));
        if (!File.Exists(InputPath)) throw new FileNotFoundException($"Split: input file '{InputPath}' does not exist.", InputPath);
        if (new FileInfo(InputPath).Length > MaxInputBytes)
            throw new ArgumentException($"Split: '{InputPath}' is over the {MaxInputBytes:N0}-byte limit; raise MaxInputBytes.", nameof(MaxInputBytes));
        if (!(ValidFraction > 0 && ValidFraction < 1))
            throw new ArgumentException($"Split: valid fraction {ValidFraction} must be between 0 and 1 (e.g. 0.2).", nameof(ValidFraction));
        if (!(TestFraction >= 0 && TestFraction < 1))
            throw new ArgumentException($"Split: test fraction {TestFraction} must be at least 0 and below 1.", nameof(TestFraction));
        if (ValidFraction + TestFraction >= 1)
            throw new ArgumentException($"Split: valid {ValidFraction} + test {TestFraction} leaves nothing to train on; keep their sum below 1.", nameof(TestFraction));
        if (Stratify is not null && string.IsNullOrWhiteSpace(Stratify)) throw new ArgumentException("Split: the stratify field is empty.", nameof(Stratify));
        if (GroupBy is not null && string.IsNullOrWhiteSpace(GroupBy)) throw new ArgumentException("Split: the group-by field is empty.", nameof(GroupBy));
        if (MaxLabels < 1) throw new ArgumentException($"Split: MaxLabels {MaxLabels} must be positive.", nameof(MaxLabels));
        NearDuplicates.Validate();
        foreach (var p in OutputPaths().Values)
        {
            if (string.Equals(Path.GetFullPath(p), Path.GetFullPath(InputPath), StringComparison.Ordinal))
                throw new ArgumentException($"Split: output '{p}' would overwrite the input; choose another output folder.", nameof(OutputDirectory));
        }
    }

    /// <summary>
    /// The files written, by split name (train, valid, and test when <see cref="TestFraction"/> &gt; 0):
    /// <c>STEM.train.jsonl</c>, <c>STEM.valid.jsonl</c>, <c>STEM.test.jsonl</c>, where STEM is the input's name without
    /// its extension. When STEM already ends in a split name (<see cref="SplitNames"/>: <c>train.jsonl</c>,
    /// <c>ag.train.jsonl</c>), that last part becomes <c>split</c> instead of doubling: <c>split.train.jsonl</c>,
    /// <c>ag.split.valid.jsonl</c>, never <c>train.train.jsonl</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> OutputPaths()
    {
        var dir = OutputDirectory ?? Path.GetDirectoryName(Path.GetFullPath(InputPath))!;
        var name = Path.GetFileNameWithoutExtension(InputPath);
        var dot = name.LastIndexOf('.');
        if (SplitNames.Contains(name[(dot + 1)..], StringComparer.OrdinalIgnoreCase)) name = name[..(dot + 1)] + "split";
        var paths = new Dictionary<string, string>
        {
            ["train"] = Path.Combine(dir, name + ".train.jsonl"),
            ["valid"] = Path.Combine(dir, name + ".valid.jsonl"),
        };
        if (TestFraction > 0) paths["test"] = Path.Combine(dir, name + ".test.jsonl");
        return paths;
    }
}

/// <summary>One split of a <see cref="SplitResult"/>.</summary>
/// <param name="Name">train, valid or test.</param>
/// <param name="Path">The file written.</param>
/// <param name="Count">Examples in it.</param>
/// <param name="Labels">Label → count (empty when not stratified).</param>
/// <param name="Lines">The 1-based input line numbers of its examples, ascending.</param>
public sealed record SplitPart(string Name, string Path, int Count, IReadOnlyDictionary<string, int> Labels, IReadOnlyList<long> Lines);

/// <summary>The outcome of <see cref="Splitter.Split"/>.</summary>
/// <param name="Parts">train, valid, then test if asked.</param>
/// <param name="Total">Examples split.</param>
/// <param name="Labels">Label → count over all examples (empty when not stratified).</param>
/// <param name="Units">Groups kept together (an ungrouped example is a unit of one).</param>
/// <param name="NearDuplicateGroups">Near-duplicate groups found (two or more examples each).</param>
/// <param name="Problems">Lines left out (unreadable, or unlabelled when stratifying).</param>
/// <param name="ProblemCount">All such lines.</param>
public sealed record SplitResult(
    IReadOnlyList<SplitPart> Parts, int Total, IReadOnlyDictionary<string, int> Labels, int Units, int NearDuplicateGroups,
    IReadOnlyList<ImportProblem> Problems, int ProblemCount);
