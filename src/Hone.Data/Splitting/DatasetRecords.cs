using Hone.Data.Checks;
using Hone.Data.Import;
using Hone.Data.Jsonl;

namespace Hone.Data.Splitting;

/// <summary>One example as split and ladder see it: its original line, label, group key and comparable text.</summary>
internal sealed record DatasetRecord(int Index, long Line, string Raw, string? Label, string? GroupKey, string Text);

/// <summary>Loads a JSONL dataset for split/ladder: keeps each line's original JSON text; unreadable or unlabelled lines are problems (and left out).</summary>
internal static class DatasetRecords
{
    public static List<DatasetRecord> Load(string path, string? stratify, string? groupKey, bool needText, ImportContext context)
    {
        var list = new List<DatasetRecord>();
        using var reader = JsonlReader.Open(path);
        long record = 0;
        foreach (var line in reader.ReadLines())
        {
            if (line.Root is not { } root)
            {
                var errors = line.Findings.Where(f => f.Severity == FindingSeverity.Error && f.Code != FindingCodes.BlankLine).ToList();
                if (errors.Count == 0) continue;
                record++;
                context.Problem(record, line.LineNumber, string.Join(" ", errors.Select(f => f.Message + " " + f.Fix)));
                continue;
            }
            record++;
            var label = stratify is null ? null : LabelRule.Of(root, stratify);
            if (stratify is not null && label is null)
            {
                context.Problem(record, line.LineNumber, $"the record has no label ('{stratify}'); give it one, or do without stratifying.");
                continue;
            }
            var group = groupKey is null ? null : LabelRule.Field(root, groupKey);
            list.Add(new DatasetRecord(list.Count, line.LineNumber, root.GetRawText(), label, group, needText ? LabelRule.ComparableText(root) : ""));
            context.Imported++;
        }
        return list;
    }

    /// <summary>
    /// Checks that the labels form a small set (classification-style data). Throws with the count and examples otherwise.
    /// </summary>
    public static void EnsureSmallLabelSet(IReadOnlyList<DatasetRecord> records, string stratify, int maxLabels, string path)
    {
        var distinct = records.Select(r => r.Label!).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > maxLabels)
            throw new ArgumentException(
                $"{path}: stratifying by '{stratify}' finds {distinct.Count} distinct labels (e.g. {string.Join(", ", distinct.Take(3).Select(d => "'" + Short(d) + "'"))}), more than {maxLabels}; " +
                "the answers are not classification labels. Stratify by a field with few values, raise MaxLabels, or split without --stratify.");
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Label → count, ordered by label (ordinal).</summary>
    public static IReadOnlyDictionary<string, int> Distribution(IEnumerable<DatasetRecord> records) =>
        new SortedDictionary<string, int>(records.GroupBy(r => r.Label ?? "").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal), StringComparer.Ordinal);
}
