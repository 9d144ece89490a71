using System.Text;

namespace Hone.Tokenizers.Training;

/// <summary>Options of <see cref="BpeTrainer.Train"/>.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Most merge rules learned (fewer when no pair occurs <see cref="MinFrequency"/> times any more).</summary>
    public int Merges { get; init; } = 400;

    /// <summary>A pair is merged only when it occurs at least this often in the corpus.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Special tokens appended after the learned vocabulary, in order (e.g. ChatML's markers); never split, never learned from.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>The word-splitting regex (GPT-2's by default, which the ByteLevel pre-tokenizer of tokenizer.json names).</summary>
    public string Pattern { get; init; } = PreTokenizerPatterns.Gpt2;

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (Merges is < 0 or > 1_000_000) throw new ArgumentException($"BPE trainer: Merges = {Merges} must be between 0 and 1,000,000.");
        if (MinFrequency < 1) throw new ArgumentException($"BPE trainer: MinFrequency = {MinFrequency} must be at least 1.");
        ArgumentNullException.ThrowIfNull(SpecialTokens);
        if (SpecialTokens.Any(string.IsNullOrEmpty)) throw new ArgumentException("BPE trainer: a special token is empty; give non-empty texts such as <|im_end|>.");
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count) throw new ArgumentException("BPE trainer: the special tokens repeat a text; list each once.");
    }
}

/// <summary>
/// Learns a byte-level BPE tokenizer from text, as Hugging Face's <c>tokenizers</c> BpeTrainer does for GPT-2-style
/// models: words are split by the pre-tokenizer regex and counted, each word starts as its UTF-8 bytes (in
/// <see cref="ByteLevelMap"/> form), and the most frequent adjacent pair (ties: ordinal order of the two parts) is
/// merged, repeatedly. The vocabulary is the 256 byte symbols (id = byte value), then one token per merge, then the
/// special tokens. Deterministic: the same texts and options give the same tokenizer.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Learns merges from <paramref name="texts"/>.</summary>
    public static TrainedBpe Train(IEnumerable<string> texts, BpeTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new BpeTrainerOptions();
        options.Validate();
        var pre = new RegexPreTokenizer([options.Pattern]);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            ArgumentNullException.ThrowIfNull(text);
            foreach (var part in SplitSpecials(text, options.SpecialTokens))
            {
                foreach (var (s, l) in pre.Split(part))
                {
                    var w = part.Substring(s, l);
                    counts[w] = counts.GetValueOrDefault(w) + 1;
                }
            }
        }

        // Each distinct word as its symbols; words in ordinal order so every pass visits them the same way.
        var words = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: Encoding.UTF8.GetBytes(kv.Key).Select(b => ByteLevelMap.ToChar(b).ToString()).ToList(), Count: kv.Value))
            .ToList();
        var vocab = new List<string>(256 + options.Merges + options.SpecialTokens.Count);
        for (var b = 0; b < 256; b++) vocab.Add(ByteLevelMap.ToChar((byte)b).ToString());
        var known = new HashSet<string>(vocab, StringComparer.Ordinal);
        var merges = new List<(string Left, string Right)>(options.Merges);
        var pairs = new Dictionary<(string, string), long>();
        while (merges.Count < options.Merges)
        {
            pairs.Clear();
            foreach (var (symbols, count) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            (string Left, string Right)? best = null;
            long bestCount = 0;
            foreach (var (pair, count) in pairs)
            {
                if (count > bestCount || (count == bestCount && best is { } b && Compare(pair, b) < 0))
                {
                    best = pair;
                    bestCount = count;
                }
            }
            if (best is not { } m || bestCount < options.MinFrequency) break;
            merges.Add(m);
            var merged = m.Left + m.Right;
            if (known.Add(merged)) vocab.Add(merged);
            foreach (var (symbols, _) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == m.Left && symbols[i + 1] == m.Right)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        foreach (var special in options.SpecialTokens)
        {
            if (known.Contains(special))
                throw new ArgumentException($"BPE trainer: special token \"{special}\" is also a learned token; choose a marker that cannot occur in text, such as <|name|>.");
            vocab.Add(special);
        }
        return new TrainedBpe(vocab, [.. merges.Select(x => x.Left + " " + x.Right)], options.SpecialTokens, options.Pattern);
    }

    private static int Compare((string Left, string Right) a, (string Left, string Right) b)
    {
        var c = string.CompareOrdinal(a.Left, b.Left);
        return c != 0 ? c : string.CompareOrdinal(a.Right, b.Right);
    }

    /// <summary>The pieces of <paramref name="text"/> between occurrences of the special tokens.</summary>
    private static IEnumerable<string> SplitSpecials(string text, IReadOnlyList<string> specials)
    {
        var pieces = new List<string> { text };
        foreach (var s in specials)
            pieces = [.. pieces.SelectMany(p => p.Split(s, StringSplitOptions.None))];
        return pieces.Where(p => p.Length > 0);
    }
}
