using Hone.Testing;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Sft;

namespace Hone.Reference.Tests;

/// <summary>
/// A word-level tokenizer small enough for a tiny model: greedy longest match over a fixed list (ChatML's special
/// tokens only when they are parsed as special), one id per entry, offsets exact.
/// </summary>
internal sealed class WordTokenizer : ITokenizer
{
    private static readonly string[] Specials = ["<|im_start|>", "<|im_end|>"];

    private static readonly string[] Entries =
    [
        "<pad>", "<|im_start|>", "<|im_end|>", "system", "user", "assistant", "\n", " ", ".", "?", ",",
        "be", " brief", "red", " or", " blue", "blue", "two", " plus", " two", "four", "and", " one", " more", "five",
        "answer", " yes", " no", "is", " the", " sky", "yes", "no",
        .. Enumerable.Range('a', 26).Select(ch => ((char)ch).ToString()),
    ];

    public int VocabSize => Entries.Length;

    public int? BosId => null;

    public int? EosId => 2;

    public int[] Encode(string text, bool addBos = false, bool parseSpecial = false) => EncodeWithOffsets(text, addBos, parseSpecial).Ids;

    public (int[] Ids, (int Start, int End)[] Offsets) EncodeWithOffsets(string text, bool addBos = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var offsets = new List<(int, int)>();
        for (int at = 0; at < text.Length;)
        {
            int best = -1;
            for (int id = 0; id < Entries.Length; id++)
            {
                var e = Entries[id];
                bool allowed = parseSpecial || !Specials.Contains(e);
                if (allowed && string.CompareOrdinal(text, at, e, 0, e.Length) == 0 && (best < 0 || e.Length > Entries[best].Length))
                {
                    best = id;
                }
            }

            if (best < 0)
            {
                throw new ArgumentException($"WordTokenizer: no entry matches '{text[at]}' at {at}.", nameof(text));
            }

            ids.Add(best);
            offsets.Add((at, at + Entries[best].Length));
            at += Entries[best].Length;
        }

        return ([.. ids], [.. offsets]);
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var parts = new List<string>();
        foreach (int id in ids)
        {
            parts.Add(Entries[id]);
        }

        return string.Concat(parts);
    }

    public string TokenText(int id) => Entries[id];
}

/// <summary>
/// Conversations tokenized by Hone's own data path (ChatML template, loss mask from the renderer's assistant spans):
/// SFT examples read by <see cref="SftRun.ReadExamples"/> and preference pairs by <see cref="PreferenceData.ReadOrThrow"/>
/// from JSONL written to a temporary folder.
/// </summary>
internal static class ChatData
{
    public static ChatEncoder Encoder { get; } = ChatEncoder.Create(new WordTokenizer(), BuiltInTemplates.Get("chatml"), "builtin:chatml");

    /// <summary>The assistant replies of <see cref="SftLines"/>, in order: what the mask must train (each with its end-of-turn token).</summary>
    public static IReadOnlyList<string> SftReplies { get; } = ["blue.", "four.", "five.", "yes."];

    /// <summary>System, user and assistant turns; the second conversation has two assistant turns.</summary>
    public static IReadOnlyList<string> SftLines { get; } =
    [
        """{"messages":[{"role":"system","content":"be brief."},{"role":"user","content":"red or blue?"},{"role":"assistant","content":"blue."}]}""",
        """{"messages":[{"role":"user","content":"two plus two?"},{"role":"assistant","content":"four."},{"role":"user","content":"and one more?"},{"role":"assistant","content":"five."}]}""",
        """{"messages":[{"role":"system","content":"answer yes or no."},{"role":"user","content":"is the sky blue?"},{"role":"assistant","content":"yes."}]}""",
    ];

    /// <summary>Two pairs; the second prompt holds an earlier assistant turn (not scored). Completions differ in length.</summary>
    public static IReadOnlyList<string> PreferenceLines { get; } =
    [
        """{"input":{"messages":[{"role":"system","content":"be brief."},{"role":"user","content":"red or blue?"}]},"preferred_output":[{"role":"assistant","content":"blue."}],"non_preferred_output":[{"role":"assistant","content":"red, or blue."}]}""",
        """{"input":{"messages":[{"role":"user","content":"two plus two?"},{"role":"assistant","content":"four."},{"role":"user","content":"and one more?"}]},"preferred_output":[{"role":"assistant","content":"five."}],"non_preferred_output":[{"role":"assistant","content":"four."}]}""",
    ];

    public static List<TokenizedExample> SftExamples()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "train.jsonl");
        File.WriteAllLines(path, SftLines);
        return SftRun.ReadExamples(path, Encoder);
    }

    public static List<PreferencePair> PreferencePairs()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "pairs.jsonl");
        File.WriteAllLines(path, PreferenceLines);
        return PreferenceData.ReadOrThrow(path, Encoder);
    }

    /// <summary>The trained tokens of an example as text, one string per contiguous trained run.</summary>
    public static List<string> TrainedRuns(TokenizedExample e)
    {
        var runs = new List<string>();
        for (int t = 0; t < e.Length; t++)
        {
            if (!e.Trained[t])
            {
                continue;
            }

            int start = t;
            while (t + 1 < e.Length && e.Trained[t + 1])
            {
                t++;
            }

            runs.Add(Encoder.Tokenizer.Decode(e.Ids.AsSpan(start, t - start + 1)));
        }

        return runs;
    }
}
