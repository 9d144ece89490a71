using Hone.Evals.Specs;
using Hone.Testing;

namespace Hone.Prompting.Tests;

/// <summary>Writes prompt files and golden sets into a fresh folder.</summary>
internal sealed class TestFiles
{
    public TestFiles(string? dir = null, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        Dir = dir ?? TestAssets.NewTempDir(name);
    }

    public string Dir { get; }

    public string Write(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    public static IReadOnlyList<GoldenCase> Cases(params string[] jsonLines) => GoldenSet.Parse(jsonLines, "golden.jsonl");
}
