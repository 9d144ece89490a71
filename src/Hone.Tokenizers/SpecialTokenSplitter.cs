namespace Hone.Tokenizers;

/// <summary>A piece of the input: either raw text [Start, Start+Length) or one special token that covered that range.</summary>
internal readonly record struct Fragment(int Start, int Length, int TokenId)
{
    public bool IsToken => TokenId >= 0;
}

/// <summary>
/// Splits text on special and added tokens before the model sees it, as llama.cpp does: tokens are tried longest
/// first, each splitting every remaining raw-text fragment at all of its occurrences, left to right.
/// User-defined (added, non-special) tokens are always matched; control and unknown tokens only with parseSpecial.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly Vocabulary _vocab;
    private readonly int[] _ids;

    public SpecialTokenSplitter(Vocabulary vocab)
    {
        _vocab = vocab;
        _ids = vocab.SpecialIdsLongestFirst();
    }

    public List<Fragment> Split(string text, bool parseSpecial)
    {
        var frags = new List<Fragment>();
        if (text.Length == 0) return frags;
        frags.Add(new Fragment(0, text.Length, -1));
        foreach (var id in _ids)
        {
            if (!parseSpecial && _vocab.Kind(id) != TokenKind.UserDefined) continue;
            var tok = _vocab.Text(id);
            for (var f = 0; f < frags.Count; f++)
            {
                var frag = frags[f];
                if (frag.IsToken || frag.Length < tok.Length) continue;
                var at = text.AsSpan(frag.Start, frag.Length).IndexOf(tok, StringComparison.Ordinal);
                if (at < 0) continue;
                var replaced = new List<Fragment>();
                var pos = frag.Start;
                var end = frag.Start + frag.Length;
                while (at >= 0)
                {
                    var abs = pos + at;
                    if (abs > pos) replaced.Add(new Fragment(pos, abs - pos, -1));
                    replaced.Add(new Fragment(abs, tok.Length, id));
                    pos = abs + tok.Length;
                    at = pos < end ? text.AsSpan(pos, end - pos).IndexOf(tok, StringComparison.Ordinal) : -1;
                }
                if (pos < end) replaced.Add(new Fragment(pos, end - pos, -1));
                frags.RemoveAt(f);
                frags.InsertRange(f, replaced);
                f += replaced.Count - 1;
            }
        }
        return frags;
    }
}
