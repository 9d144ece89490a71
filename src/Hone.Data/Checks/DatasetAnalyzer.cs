using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Hone.Data.Similarity;

namespace Hone.Data.Checks;

/// <summary>
/// The dataset-level analyses over the digests of valid examples, in one pass with memory per example of a few hashes
/// (never the texts): exact duplicates, contradictions, label balance, system prompts, near-duplicates (MinHash over
/// word 3-shingles, a <see cref="NearDuplicateIndex"/> fed one example at a time, which spills to a temporary file past
/// its threshold), and train/valid leakage.
/// </summary>
internal sealed class DatasetAnalyzer : IDisposable
{
    /// <summary>Outputs longer than this (after normalisation) are not labels.</summary>
    public const int MaxLabelLength = 64;

    /// <summary>At most this many distinct labels for outputs to count as classification-style.</summary>
    public const int MaxLabels = 50;

    private readonly Dictionary<TextHash, long> _full = [];
    private readonly Dictionary<TextHash, (long Line, TextHash Output)> _inputs = [];
    private readonly Dictionary<string, int>? _labelsOrNull = new(StringComparer.Ordinal);
    private Dictionary<string, int>? _labels;
    private readonly Dictionary<TextHash, (string Preview, int Count, long FirstLine)> _systems = [];
    private readonly NearDuplicateIndex? _near;
    private readonly List<long> _lines = [];
    private readonly HashSet<long> _exactDupLines = [];
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

    public void Add(ExampleDigest d, FindingSink sink)
    {
        var input = Normalize(d.Input);
        var output = d.Output is null ? null : Normalize(d.Output);
        var fullKey = Hash(input + "\u0001" + output);
        _lines.Add(d.Line);
        _near?.Add(d.Input + "\n" + d.Output);
        if (_full.TryGetValue(fullKey, out var firstLine))
        {
            ExactDuplicates++;
            _exactDupLines.Add(d.Line);
            sink.Warning(FindingCodes.DuplicateExample, "$", $"the example is the same as line {firstLine} (ignoring case and whitespace).",
                "Remove the duplicate; duplicates over-weight one example and leak across splits.");
        }
        else
        {
            _full[fullKey] = d.Line;
        }

        if (output is not null)
        {
            _withOutput++;
            var inputKey = Hash(input);
            var outputKey = Hash(output);
            if (_inputs.TryGetValue(inputKey, out var seen))
            {
                if (seen.Output != outputKey)
                {
                    Contradictions++;
                    sink.Warning(FindingCodes.Contradiction, "$", $"the same input as line {seen.Line} has a different assistant output.",
                        "Decide which answer is right and make both examples agree (or remove one).");
                }
            }
            else
            {
                _inputs[inputKey] = (d.Line, outputKey);
            }

            if (_labels is not null)
            {
                if (output.Length > MaxLabelLength || output.Length == 0) _labels = null;
                else
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(_labels, output, out _)++;
                    if (_labels.Count > MaxLabels) _labels = null;
                }
            }
        }
        else
        {
            _labels = null;
        }

        if (d.SystemPrompt is null) _withoutSystem++;
        else
        {
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_systems, Hash(Normalize(d.SystemPrompt)), out var exists);
            s = exists ? s with { Count = s.Count + 1 } : (Preview(d.SystemPrompt), 1, d.Line);
        }
    }

    /// <summary>The findings over the whole set, and its statistics.</summary>
    public DatasetStats Finish(List<DataFinding> findings, int? leaked, int? validExamples)
    {
        IReadOnlyList<LabelCount>? labels = null;
        // Classification-style: every output short, few distinct values, and each label used more than once on average.
        if (_labels is { Count: >= 2 } l && _withOutput >= 2 * l.Count)
        {
            labels = [.. l.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new LabelCount(kv.Key, kv.Value))];
            var share = (double)labels[0].Count / _withOutput;
            var limit = Math.Max(0.5, 1.5 / labels.Count);
            if (share >= limit)
            {
                findings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.LabelImbalance, null, null,
                    $"the label \"{labels[0].Label}\" is {share:P0} of {_withOutput} outputs ({labels.Count} labels); the model may learn to always answer it (warning at ≥ {limit:P0}).",
                    "Add examples of the other labels (or down-sample the dominant one) until the mix matches what you expect in production."));
            }
        }

        var systems = _systems.Values.OrderByDescending(s => s.Count).ThenBy(s => s.FirstLine).ToList();
        if (systems.Count > 1)
        {
            findings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.InconsistentSystemPrompts, null, null,
                $"{systems.Count} distinct system prompts (most used: {systems[0].Count} examples from line {systems[0].FirstLine}).",
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
                if (_exactDupLines.Contains(line) || !flagged.Add(p.Second)) continue;
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
            DistinctSystemPrompts = systems.Count,
            ExamplesWithoutSystemPrompt = _withoutSystem,
            SystemPrompts = [.. systems.Take(5).Select(s => new SystemPromptCount(s.Preview, s.Count, s.FirstLine))],
            LeakedValidExamples = leaked,
            ValidExamples = validExamples,
        };
    }

    /// <summary>The training line whose normalised input (or whole example when it has no output) equals this one's, or null.</summary>
    public long? FindLeak(ExampleDigest d)
    {
        var input = Normalize(d.Input);
        if (_inputs.TryGetValue(Hash(input), out var seen)) return seen.Line;
        var full = Hash(input + "\u0001" + (d.Output is null ? null : Normalize(d.Output)));
        return _full.TryGetValue(full, out var line) ? line : null;
    }

    /// <summary>Case-folded, whitespace-collapsed, trimmed.</summary>
    public static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        var space = false;
        foreach (var ch in s)
        {
            if (char.IsWhiteSpace(ch)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    private static TextHash Hash(string s) => TextHash.Of(s);

    /// <summary>Deletes the near-duplicate search's temporary file, if any.</summary>
    public void Dispose() => _near?.Dispose();

    private static string Preview(string s)
    {
        var one = s.ReplaceLineEndings(" ");
        return one.Length <= 80 ? one : one[..77] + "...";
    }
}
