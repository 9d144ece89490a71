using System.Globalization;
using System.Runtime.InteropServices;
using Hone.Data.Similarity;

namespace Hone.Data.Checks;

/// <summary>
/// The dataset-level analyses over the digests of valid examples, in one pass that keeps no texts: exact duplicates,
/// contradictions and train/valid leakage (text hashes in a <see cref="DuplicateIndex"/>, an external sort), label
/// balance, system prompts, and near-duplicates (MinHash over word 3-shingles, a <see cref="NearDuplicateIndex"/> fed
/// one example at a time). Both indexes spill to temporary files past their thresholds, so memory per example is the
/// line number (8 bytes) plus what the near-duplicate index keeps (see there).
/// </summary>
internal sealed class DatasetAnalyzer : IDisposable
{
    /// <summary>Outputs longer than this (after normalisation) are not labels.</summary>
    public const int MaxLabelLength = 64;

    /// <summary>At most this many distinct labels for outputs to count as classification-style.</summary>
    public const int MaxLabels = 50;

    private readonly DuplicateIndex _duplicates = new();
    private readonly Dictionary<string, int>? _labelsOrNull = new(StringComparer.Ordinal);
    private Dictionary<string, int>? _labels;
    private readonly Dictionary<string, string> _labelAsWritten = new(StringComparer.Ordinal); // normalised → first spelling, for display
    /// <summary>Distinct system prompts kept with their preview; past this many, new ones are only counted (by sort).</summary>
    public const int MaxTrackedSystemPrompts = 4096;

    private readonly Dictionary<TextHash, (string Preview, int Count, long FirstLine)> _systems = [];
    private readonly SortSpill<HashedLine> _moreSystems = new(4L << 20, null);
    private readonly NearDuplicateIndex? _near;
    private readonly ChunkedList<long> _lines = new();
    private List<long>? _duplicateLines; // ascending, once Finish has found them
    private int _withoutSystem;
    private int _withOutput;

    /// <summary>Creates the analyser; <paramref name="nearDuplicates"/> null skips the near-duplicate search.</summary>
    public DatasetAnalyzer(NearDuplicateOptions? nearDuplicates)
    {
        _labels = _labelsOrNull;
        _near = nearDuplicates is null ? null : new NearDuplicateIndex(nearDuplicates);
    }

    public int ExactDuplicates { get; private set; }

    public int Contradictions { get; private set; }

    /// <summary>
    /// What <see cref="Add(ExampleDigest, DigestKeys)"/> needs of an example, normalised and hashed (its near-duplicate
    /// shingles and band keys too): pure and thread-safe, so the workers make it and the merging thread only files it.
    /// </summary>
    public DigestKeys Keys(ExampleDigest d)
    {
        // The normalised input and output are hashed where they are built (pooled buffers); only a label is kept as a string.
        var inputBuffer = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(d.Input.Length, 1));
        var outputBuffer = d.Output is null ? null : System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(d.Output.Length, 1));
        try
        {
            ReadOnlySpan<char> input = inputBuffer.AsSpan(0, NormalizeInto(d.Input, inputBuffer));
            ReadOnlySpan<char> output = outputBuffer is null ? default : outputBuffer.AsSpan(0, NormalizeInto(d.Output!, outputBuffer));
            return new DigestKeys(
                TextHash.Of(input, '\u0001', output),
                outputBuffer is null ? null : TextHash.Of(input),
                outputBuffer is null ? null : TextHash.Of(output),
                outputBuffer is not null && output.Length is > 0 and <= MaxLabelLength ? new string(output) : null,
                d.SystemPrompt is null ? null : SystemHash(d.SystemPrompt),
                _near?.Prepare(d.Input, '\n', d.Output));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(inputBuffer);
            if (outputBuffer is not null) System.Buffers.ArrayPool<char>.Shared.Return(outputBuffer);
        }
    }

    /// <summary>
    /// Adds a training example. Its duplicate and contradiction findings (on its line) come from <see cref="Finish"/>,
    /// once every example is known.
    /// </summary>
    public void Add(ExampleDigest d) => Add(d, Keys(d));

    /// <summary>Adds a training example whose <see cref="Keys"/> are made.</summary>
    public void Add(ExampleDigest d, DigestKeys keys)
    {
        _lines.Add(d.Line);
        if (_near is not null) _near.Add(keys.Near ?? _near.Prepare(d.Input, '\n', d.Output));
        _duplicates.Add(d.Line, keys.Full, keys.Input, keys.Output);

        if (keys.Output is not null)
        {
            _withOutput++;

            if (_labels is not null)
            {
                if (keys.Label is not { } output) _labels = null;
                else
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(_labels, output, out var seenLabel)++;
                    if (!seenLabel) _labelAsWritten[output] = d.Output!.Trim();
                    if (_labels.Count > MaxLabels) _labels = null;
                }
            }
        }
        else
        {
            _labels = null;
        }

        if (keys.System is not { } key) _withoutSystem++;
        else
        {
            if (_systems.Count >= MaxTrackedSystemPrompts && !_systems.ContainsKey(key))
            {
                _moreSystems.Add(new HashedLine(key, d.Line)); // one prompt per example, e.g. with a date in it: count, do not keep
            }
            else
            {
                ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_systems, key, out var exists);
                s = exists ? s with { Count = s.Count + 1 } : (Preview(d.SystemPrompt!), 1, d.Line);
            }
        }
    }

    /// <summary>
    /// The findings over the whole set, and its statistics. Duplicate and contradiction findings go straight to
    /// <paramref name="collector"/> in line order (each after the findings its line already has); the others are
    /// appended to <paramref name="findings"/>.
    /// </summary>
    public DatasetStats Finish(FindingCollector collector, List<DataFinding> findings, int? leaked, int? validExamples)
    {
        var (duplicates, contradictions) = _duplicates.Find();
        _duplicateLines = duplicates.ConvertAll(d => d.Line);
        ExactDuplicates = duplicates.Count;
        Contradictions = contradictions.Count;
        var c = 0;
        foreach (var (line, first) in duplicates)
        {
            for (; c < contradictions.Count && contradictions[c].Line < line; c++) collector.Add(ContradictionFinding(contradictions[c]));
            collector.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.DuplicateExample, line, "$",
                $"the example is the same as line {first} (ignoring case and whitespace).",
                "Remove the duplicate; duplicates over-weight one example and leak across splits."));
        }
        for (; c < contradictions.Count; c++) collector.Add(ContradictionFinding(contradictions[c]));

        IReadOnlyList<LabelCount>? labels = null;
        // Classification-style: every output short, few distinct values, and each label used more than once on average.
        if (_labels is { Count: >= 2 } l && _withOutput >= 2 * l.Count)
        {
            labels = [.. l.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new LabelCount(_labelAsWritten[kv.Key], kv.Value))];
            var share = (double)labels[0].Count / _withOutput;
            var limit = Math.Max(0.5, 1.5 / labels.Count);
            if (share >= limit)
            {
                findings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.LabelImbalance, null, null,
                    $"the label \"{labels[0].Label}\" is {share:P0} of {_withOutput} outputs ({labels.Count} labels); the model may learn to always answer it (warning at ≥ {limit:P0}).",
                    "Add examples of the other labels (or down-sample the dominant one) until the mix matches what you expect in production."));
            }
        }

        var (distinctSystems, systems) = TopSystemPrompts(5);
        if (distinctSystems > 1)
        {
            findings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.InconsistentSystemPrompts, null, null,
                $"{distinctSystems} distinct system prompts (most used: {systems[0].Count} examples from line {systems[0].FirstLine}).",
                "Use the one system prompt you will use in production in every example, unless the variation is deliberate."));
        }

        int? near = null;
        string? method = null;
        if (_near is not null)
        {
            var nearThreshold = _near.Options.Threshold;
            var result = _near.Finish();
            var flagged = new HashSet<int>();
            foreach (var p in result.Pairs)
            {
                var line = _lines[p.Second];
                if (IsDuplicate(line) || !flagged.Add(p.Second)) continue;
                findings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.NearDuplicateExample, line, "$",
                    $"the example is a near-duplicate of line {_lines[p.First]} (Jaccard {p.Jaccard.ToString("0.00", CultureInfo.InvariantCulture)} ≥ {nearThreshold.ToString("0.00", CultureInfo.InvariantCulture)}).",
                    "Remove one of them or make them differ where it matters; near-duplicates over-weight one case."));
            }
            near = flagged.Count;
            method = $"MinHash ({_near.Options.HashCount} hashes, LSH banding, verified by exact Jaccard) over word 3-shingles of the normalised example; threshold {nearThreshold.ToString("0.00", CultureInfo.InvariantCulture)}";
        }

        return new DatasetStats
        {
            ExactDuplicates = ExactDuplicates,
            NearDuplicates = near,
            NearDuplicateMethod = method,
            Contradictions = Contradictions,
            Labels = labels,
            DistinctSystemPrompts = distinctSystems,
            ExamplesWithoutSystemPrompt = _withoutSystem,
            SystemPrompts = [.. systems.Select(s => new SystemPromptCount(s.Preview, s.Count, s.FirstLine))],
            LeakedValidExamples = leaked,
            ValidExamples = validExamples,
        };
    }

    /// <summary>
    /// The number of distinct system prompts and the <paramref name="top"/> most used (ties: the earlier first), with
    /// their previews; a prompt past <see cref="MaxTrackedSystemPrompts"/> distinct ones has no preview kept and is
    /// named by the line it first appears on.
    /// </summary>
    private (int Distinct, List<(string Preview, int Count, long FirstLine)> Top) TopSystemPrompts(int top)
    {
        var best = new List<(string? Preview, int Count, long FirstLine)>();
        void Offer((string? Preview, int Count, long FirstLine) s)
        {
            var at = best.FindIndex(b => s.Count > b.Count || (s.Count == b.Count && s.FirstLine < b.FirstLine));
            if (at < 0) at = best.Count;
            if (at >= top) return;
            best.Insert(at, s);
            if (best.Count > top) best.RemoveAt(top);
        }

        var distinct = _systems.Count;
        foreach (var v in _systems.Values) Offer(v);
        var any = false;
        var current = default(HashedLine);
        var count = 0;
        foreach (var r in _moreSystems.Sorted())
        {
            if (any && r.Key == current.Key)
            {
                count++;
                continue;
            }
            if (any) Offer((null, count, current.Line));
            (current, count, any) = (r, 1, true);
            distinct++;
        }
        if (any) Offer((null, count, current.Line));
        return (distinct, best.ConvertAll(b => (b.Preview ?? $"(a system prompt first used on line {b.FirstLine}; over {MaxTrackedSystemPrompts:N0} distinct prompts, its text was not kept)", b.Count, b.FirstLine)));
    }

    /// <summary>Adds a validation example, checked for leakage by <see cref="Leaks"/>.</summary>
    public void AddValid(ExampleDigest d)
    {
        var input = Normalize(d.Input);
        _duplicates.AddValid(d.Line, Hash(input), TextHash.Of(input, '\u0001', d.Output is null ? null : Normalize(d.Output)));
    }

    /// <summary>
    /// Validation examples whose normalised input (or whole example when it has no output) equals a training one's:
    /// (validation line, training line), ascending.
    /// </summary>
    public List<(long ValidLine, long TrainLine)> Leaks() => _duplicates.Leaks();

    private bool IsDuplicate(long line) => _duplicateLines is { } d && d.BinarySearch(line) >= 0;

    private static DataFinding ContradictionFinding((long Line, long First) c) =>
        new(FindingSeverity.Warning, FindingCodes.Contradiction, c.Line, "$", $"the same input as line {c.First} has a different assistant output.",
            "Decide which answer is right and make both examples agree (or remove one).");

    /// <summary>Case-folded, whitespace-collapsed, trimmed (never longer than <paramref name="s"/>: built in a pooled buffer, one string made).</summary>
    public static string Normalize(string s)
    {
        if (s.Length == 0) return "";
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(s.Length);
        try
        {
            return new string(buffer, 0, NormalizeInto(s, buffer));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes <see cref="Normalize"/> of <paramref name="s"/> into <paramref name="buffer"/> (at least as long) and returns its length.</summary>
    private static int NormalizeInto(string s, Span<char> buffer)
    {
        var length = 0;
        var space = false;
        foreach (var ch in s)
        {
            if (char.IsWhiteSpace(ch)) { space = length > 0; continue; }
            if (space) { buffer[length++] = ' '; space = false; }
            buffer[length++] = char.ToLowerInvariant(ch);
        }
        return length;
    }

    private static TextHash Hash(string s) => TextHash.Of(s);

    /// <summary>The hash of a normalised system prompt; each thread remembers the last prompt it hashed (most sets use one).</summary>
    private static TextHash SystemHash(string prompt)
    {
        if (t_lastSystem is { } last && string.Equals(last.Prompt, prompt, StringComparison.Ordinal)) return last.Hash;
        var hash = Hash(Normalize(prompt));
        t_lastSystem = (prompt, hash);
        return hash;
    }

    [ThreadStatic] private static (string Prompt, TextHash Hash)? t_lastSystem;

    /// <summary>Deletes the near-duplicate search's temporary file, if any.</summary>
    public void Dispose()
    {
        _near?.Dispose();
        _duplicates.Dispose();
        _moreSystems.Dispose();
    }


    private static string Preview(string s)
    {
        var one = s.ReplaceLineEndings(" ");
        return one.Length <= 80 ? one : one[..77] + "...";
    }
}

/// <summary>
/// An example's keys for <see cref="DatasetAnalyzer"/>: hashes of its normalised input + output, input and output (the
/// last two null without an output), its normalised output when it could be a label (1 to
/// <see cref="DatasetAnalyzer.MaxLabelLength"/> chars), the hash of its normalised system prompt, and the near-duplicate
/// search's prepared text (null when it does not run).
/// </summary>
internal sealed record DigestKeys(TextHash Full, TextHash? Input, TextHash? Output, string? Label, TextHash? System, PreparedText? Near);
