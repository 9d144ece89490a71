namespace Hone.Tokenizers;

/// <summary>
/// GPT-2's reversible byte↔char map: printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves,
/// the other 68 bytes to U+0100 upward in byte order (so ' ' is 'Ġ' and '\n' is 'Ċ').
/// </summary>
public static class ByteLevelMap
{
    private static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = BuildReverse();

    /// <summary>The char a byte maps to.</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte a mapped char stands for, or false if <paramref name="c"/> is not in the map.</summary>
    public static bool TryToByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    private static char[] Build()
    {
        var map = new char[256];
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var d = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++) d[ByteToChar[b]] = (byte)b;
        return d;
    }
}
