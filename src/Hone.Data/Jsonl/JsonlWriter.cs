using Hone.Core;
using Hone.Data.Model;

namespace Hone.Data.Jsonl;

/// <summary>
/// Writes examples as OpenAI JSONL: one object per line, LF endings, UTF-8 without BOM, written atomically
/// (the target is either the old file or the whole new one, never half-written).
/// </summary>
public static class JsonlWriter
{
    /// <summary>Writes chat SFT examples.</summary>
    public static void Write(string path, IEnumerable<ChatExample> examples) => WriteLines(path, examples, OpenAiJson.Serialize);

    /// <summary>Writes preference (DPO) examples.</summary>
    public static void Write(string path, IEnumerable<PreferenceExample> examples) => WriteLines(path, examples, OpenAiJson.Serialize);

    /// <summary>Writes reinforcement examples.</summary>
    public static void Write(string path, IEnumerable<ReinforcementExample> examples) => WriteLines(path, examples, OpenAiJson.Serialize);

    /// <summary>Writes prompt/completion examples.</summary>
    public static void Write(string path, IEnumerable<PromptCompletionExample> examples) => WriteLines(path, examples, OpenAiJson.Serialize);

    /// <summary>Writes any items, one serialised line each, atomically.</summary>
    public static void WriteLines<T>(string path, IEnumerable<T> items, Func<T, string> serialize)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(serialize);
        AtomicFile.WriteText(path, w =>
        {
            foreach (var item in items)
            {
                var line = serialize(item);
                if (line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("A serialised JSONL line contains a raw line break; this is a bug in the serializer.");
                }
                w.Write(line);
                w.Write('\n');
            }
        });
    }
}
