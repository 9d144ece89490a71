using System.Text;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// The naive twin of <see cref="SentencePieceBpeTokenizer"/>'s encoder: llama.cpp's llm_tokenizer_spm as written,
/// one linked list and one priority queue over the whole text (no splitting into independent segments), with offsets.
/// Test-only; assumes one raw fragment (no special or user-defined token in the text).
/// </summary>
internal static class WholeTextSpm
{
    public static (int[] Ids, (int Start, int End)[] Offsets) Encode(Vocabulary vocab, string text, bool addSpacePrefix, int? unkId)
    {
        var ids = new List<int>();
        var offsets = new List<(int, int)>();
        if (text.Length == 0) return ([], []);
        var prefix = addSpacePrefix ? 1 : 0;
        var chars = ((addSpacePrefix ? "\u2581" : "") + text.Replace(' ', '\u2581')).ToCharArray();
        var n = chars.Length;
        var symStart = new int[n];
        var symLen = new int[n];
        var prev = new int[n];
        var next = new int[n];
        var count = 0;
        for (var i = 0; i < n;)
        {
            var len = char.IsHighSurrogate(chars[i]) && i + 1 < n && char.IsLowSurrogate(chars[i + 1]) ? 2 : 1;
            (symStart[count], symLen[count], prev[count], next[count]) = (i, len, count - 1, i + len < n ? count + 1 : -1);
            count++;
            i += len;
        }
        // Dequeues the highest score first, then the leftmost.
        var order = Comparer<(float Score, int Left)>.Create((x, y) =>
        {
            var c = y.Score.CompareTo(x.Score);
            return c != 0 ? c : x.Left.CompareTo(y.Left);
        });
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float, int)>(order);
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            var size = symLen[left] + symLen[right];
            var id = vocab.Find(chars.AsSpan(symStart[left], size));
            if (id >= 0) queue.Enqueue((left, right, size), (vocab.Score(id), left));
        }
        for (var i = 1; i < count; i++) TryAdd(i - 1, i);
        while (queue.TryDequeue(out var bg, out _))
        {
            if (symLen[bg.Left] == 0 || symLen[bg.Right] == 0 || symLen[bg.Left] + symLen[bg.Right] != bg.Size) continue;
            symLen[bg.Left] += symLen[bg.Right];
            symLen[bg.Right] = 0;
            next[bg.Left] = next[bg.Right];
            if (next[bg.Right] >= 0) prev[next[bg.Right]] = bg.Left;
            TryAdd(prev[bg.Left], bg.Left);
            TryAdd(bg.Left, next[bg.Left]);
        }
        for (var s = 0; s >= 0; s = next[s])
        {
            var (a, b) = (symStart[s], symStart[s] + symLen[s]);
            var range = (Math.Max(a - prefix, 0), Math.Max(b - prefix, 0));
            var id = vocab.Find(chars.AsSpan(a, b - a));
            if (id >= 0)
            {
                ids.Add(id);
                offsets.Add(range);
                continue;
            }
            foreach (var by in Encoding.UTF8.GetBytes(chars, a, b - a))
            {
                var byteId = vocab.ByteId(by);
                ids.Add(byteId >= 0 ? byteId : unkId ?? throw new InvalidOperationException($"No byte piece for {by:X2}."));
                offsets.Add(range);
            }
        }
        return ([.. ids], [.. offsets]);
    }
}
