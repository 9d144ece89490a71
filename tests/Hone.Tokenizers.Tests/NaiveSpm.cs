using System.Text;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// The naive twin of SentencePiece-BPE, written the way llama2.c's encode() does it: rescan all adjacent pairs after
/// every merge and take the first best-scoring one. Quadratic, obviously correct, test-only.
/// </summary>
internal static class NaiveSpm
{
    public static int[] Encode(Vocabulary v, string text)
    {
        if (text.Length == 0) return [];
        var s = "\u2581" + text.Replace(' ', '\u2581');
        var syms = new List<string>();
        for (var i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
            syms.Add(s.Substring(i, char.IsSurrogatePair(s, i) ? 2 : 1));
        while (true)
        {
            var best = -1;
            var bestScore = float.NegativeInfinity;
            for (var i = 0; i + 1 < syms.Count; i++)
            {
                var id = v.Find(syms[i] + syms[i + 1]);
                if (id >= 0 && (best < 0 || v.Score(id) > bestScore))
                {
                    best = i;
                    bestScore = v.Score(id);
                }
            }
            if (best < 0) break;
            syms[best] += syms[best + 1];
            syms.RemoveAt(best + 1);
        }
        var ids = new List<int>();
        foreach (var sym in syms)
        {
            var id = v.Find(sym);
            if (id >= 0) ids.Add(id);
            else foreach (var b in Encoding.UTF8.GetBytes(sym)) ids.Add(v.ByteId(b));
        }
        return [.. ids];
    }
}
