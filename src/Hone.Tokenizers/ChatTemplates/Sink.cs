using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Output buffer with the provenance of what was written (strong: message text; weak: written inside a loop over a message's list).</summary>
internal sealed class Sink(StringBuilder text)
{
    public Sink() : this(new StringBuilder()) { }

    public StringBuilder Text { get; } = text;
    public List<Seg> Segs { get; } = [];

    public object ToValue()
    {
        var s = Text.ToString();
        return Segs.Count == 0 ? s : new TrackedString(s, [.. Segs]);
    }
}
