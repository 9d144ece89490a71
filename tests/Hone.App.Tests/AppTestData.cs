using System.Text.Json;
using Hone.Store;
using Hone.Testing;

namespace Hone.App.Tests;

/// <summary>The small real model the use-case tests run (stories260K, a llama2.c checkpoint) and data for it.</summary>
internal static class AppTestData
{
    public static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    public static readonly string StoriesTokenizer = TestAssets.Path("models", "stories260K", "tok512.bin");

    /// <summary>A fresh workspace.</summary>
    public static Workspace NewWorkspace(string name) => Workspace.Init(Path.Combine(TestAssets.NewTempDir(name), "ws"));

    /// <summary>n chat examples "Is i even?" → yes/no.</summary>
    public static string WriteChats(string dir, string name, int n, int offset)
    {
        var path = Path.Combine(dir, name);
        string[] answers = ["yes", "no"];
        File.WriteAllLines(path, Enumerable.Range(offset, n).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = answers[i % 2] } },
        })));
        return path;
    }

    /// <summary>The JSON a caller's <c>--json</c> gets for <paramref name="value"/>.</summary>
    public static JsonElement Json<T>(T value) => JsonSerializer.SerializeToElement(value, AppJson.Options);
}
