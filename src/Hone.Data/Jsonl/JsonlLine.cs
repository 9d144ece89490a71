using System.Text.Json;
using Hone.Data.Checks;

namespace Hone.Data.Jsonl;

/// <summary>
/// One line of a JSONL file as the <see cref="JsonlReader"/> saw it.
/// <see cref="Root"/> is valid only until the reader moves to the next line; clone it to keep it.
/// </summary>
public sealed class JsonlLine
{
    internal JsonlLine(long lineNumber, long byteLength, JsonElement? root, IReadOnlyList<DataFinding> findings)
    {
        LineNumber = lineNumber;
        ByteLength = byteLength;
        Root = root;
        Findings = findings;
    }

    /// <summary>1-based line number.</summary>
    public long LineNumber { get; }

    /// <summary>Length of the line in bytes, without its line ending.</summary>
    public long ByteLength { get; }

    /// <summary>The parsed JSON object, or null when the line could not be used (see <see cref="Findings"/>).</summary>
    public JsonElement? Root { get; }

    /// <summary>Problems found in this line (may be non-empty even when <see cref="Root"/> is set, e.g. CRLF).</summary>
    public IReadOnlyList<DataFinding> Findings { get; }
}

/// <summary>Limits of the <see cref="JsonlReader"/>.</summary>
public sealed record JsonlReaderOptions
{
    /// <summary>Lines longer than this many bytes are reported and skipped without being held in memory. Default 8 MiB.</summary>
    public int MaxLineBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Maximum JSON nesting depth. Default 64.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Throws when a limit is out of range.</summary>
    public void Validate()
    {
        if (MaxLineBytes is < 16 or > 1 << 30) throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "MaxLineBytes must be between 16 bytes and 1 GiB.");
        if (MaxDepth is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "MaxDepth must be between 1 and 1024.");
    }
}
