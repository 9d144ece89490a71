namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Turns the provenance recorded while rendering into assistant spans.
/// <list type="number">
/// <item>Strong segments (text that came from a message's content or tool calls, JSON of them, and any <c>{{ }}</c> output
/// whose expression read a message's tool calls) are sorted; consecutive segments of one message form a run, with the
/// template text between them (no other message's text) included.</item>
/// <item>A run extends backward over weak segments of the same message that touch it (text written inside a loop over
/// that message's tool calls or content parts, or inside an <c>if</c> whose test read its tool calls) — e.g.
/// <c>&lt;tool_call&gt;\n{"name": "</c>.</item>
/// <item>A run extends forward to the end of the first end-of-turn marker that starts within 64 chars after it with no
/// other message's text in between (e.g. <c>&lt;|im_end|&gt;</c>, or <c>" &lt;/s&gt;"</c> in Llama 2).</item>
/// </list>
/// Runs of non-assistant messages are not reported but still separate assistant runs.
/// </summary>
internal static class SpanBuilder
{
    private const int MaxMarkerGap = 64;

    public static readonly string[] DefaultMarkers =
    [
        "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "</s>", "<end_of_turn>", "<|END_OF_TURN_TOKEN|>",
        "<｜end▁of▁sentence｜>", "<|endoftext|>", "<|end_of_text|>",
    ];

    public static List<AssistantSpan> Build(string text, List<Seg> segs, List<string> roles, List<bool> trained, List<string> markers)
    {
        var strong = segs.Where(s => !s.Weak && s.End >= s.Start).OrderBy(s => s.Start).ThenBy(s => s.End).ToList();
        var weak = segs.Where(s => s.Weak && s.End > s.Start).OrderByDescending(s => s.End).ToList();
        var runs = new List<(int Owner, int Start, int End)>();
        foreach (var s in strong)
        {
            if (runs.Count > 0 && runs[^1].Owner == s.Owner)
            {
                var r = runs[^1];
                runs[^1] = (r.Owner, r.Start, Math.Max(r.End, s.End));
            }
            else if (runs.Count > 0 && s.Start < runs[^1].End)
            {
                // Overlapping text of another message (e.g. JSON holding both): the earlier run keeps it.
                if (s.End > runs[^1].End) runs.Add((s.Owner, runs[^1].End, s.End));
            }
            else runs.Add((s.Owner, s.Start, s.End));
        }
        var spans = new List<AssistantSpan>();
        for (var k = 0; k < runs.Count; k++)
        {
            var (owner, start, end) = runs[k];
            if (owner >= roles.Count || roles[owner] != "assistant") continue;
            var floor = k > 0 ? runs[k - 1].End : 0;
            var moved = true;
            while (moved)
            {
                moved = false;
                foreach (var w in weak)
                {
                    if (w.Owner != owner || w.Start >= start || w.End < start) continue;
                    start = Math.Max(w.Start, floor);
                    moved = true;
                }
            }
            var limit = k + 1 < runs.Count ? runs[k + 1].Start : text.Length;
            end = ExtendToMarker(text, end, limit, markers);
            spans.Add(new AssistantSpan(owner, start, end, trained[owner]));
        }
        return spans;
    }

    private static int ExtendToMarker(string text, int end, int limit, List<string> markers)
    {
        var bestPos = -1;
        var bestLen = 0;
        foreach (var m in markers)
        {
            var windowEnd = Math.Min(limit, Math.Min(text.Length, end + MaxMarkerGap + m.Length));
            if (windowEnd - end < m.Length) continue;
            var p = text.IndexOf(m, end, windowEnd - end, StringComparison.Ordinal);
            if (p < 0) continue;
            if (bestPos < 0 || p < bestPos || (p == bestPos && m.Length > bestLen))
            {
                bestPos = p;
                bestLen = m.Length;
            }
        }
        return bestPos < 0 ? end : bestPos + bestLen;
    }
}
