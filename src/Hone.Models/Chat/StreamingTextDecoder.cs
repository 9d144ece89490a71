using Hone.Tokenizers;

namespace Hone.Models.Chat;

/// <summary>
/// Turns a growing list of token ids into text deltas for streaming. It holds back what may still change: a trailing
/// partial UTF-8 character (U+FFFD) and any tail that could be the start of a stop string, so the deltas always
/// concatenate to a prefix of the final, non-streamed text. Not thread-safe.
/// </summary>
internal sealed class StreamingTextDecoder
{
    private readonly ITokenizer _tokenizer;
    private readonly IReadOnlyList<string> _stops;
    private readonly List<int> _ids = [];

    public StreamingTextDecoder(ITokenizer tokenizer, IReadOnlyList<string> stops)
    {
        _tokenizer = tokenizer;
        _stops = stops;
    }

    /// <summary>Text emitted so far.</summary>
    public string Emitted { get; private set; } = "";

    /// <summary>Adds a token; returns the new safe text (empty when nothing can be released yet).</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        var text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids));
        int safe = text.Length;
        while (safe > 0 && text[safe - 1] == '\uFFFD')
        {
            safe--;
        }

        foreach (var stop in _stops)
        {
            for (int k = Math.Min(stop.Length - 1, safe); k > 0; k--)
            {
                if (string.CompareOrdinal(text, safe - k, stop, 0, k) == 0)
                {
                    safe -= k;
                    break;
                }
            }
        }

        return Release(text, safe);
    }

    /// <summary>The rest of <paramref name="finalText"/> not yet emitted.</summary>
    public string Finish(string finalText) => Release(finalText, finalText.Length);

    private string Release(string text, int safe)
    {
        if (safe <= Emitted.Length || !text.StartsWith(Emitted, StringComparison.Ordinal))
        {
            return "";
        }

        var delta = text[Emitted.Length..safe];
        Emitted = text[..safe];
        return delta;
    }
}
