namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>A trivial tokenizer for mask tests: one token per UTF-16 char (id = char + 1), BOS = 0.</summary>
internal sealed class CharTokenizer : ITokenizer
{
    public int VocabSize => 65537;
    public int? BosId => 0;
    public int? EosId => null;

    public int[] Encode(string text, bool addBos = false, bool parseSpecial = false) => EncodeWithOffsets(text, addBos, parseSpecial).Ids;

    public (int[] Ids, (int Start, int End)[] Offsets) EncodeWithOffsets(string text, bool addBos = false, bool parseSpecial = false)
    {
        var ids = new List<int>();
        var offsets = new List<(int, int)>();
        if (addBos)
        {
            ids.Add(0);
            offsets.Add((0, 0));
        }
        for (var i = 0; i < text.Length; i++)
        {
            ids.Add(text[i] + 1);
            offsets.Add((i, i + 1));
        }
        return ([.. ids], [.. offsets]);
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var chars = new List<char>();
        foreach (var id in ids) if (id > 0) chars.Add((char)(id - 1));
        return new string([.. chars]);
    }

    public string TokenText(int id) => id == 0 ? "<s>" : ((char)(id - 1)).ToString();
}
