using System.Runtime.CompilerServices;

namespace Hone.Testing;

/// <summary>
/// Locates the read-only third-party files in <c>../shared/assets</c> (beside the repository).
/// HONE_SHARED overrides the location; otherwise the folder is found by walking up from this source file.
/// </summary>
internal static class TestAssets
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>Absolute path of <c>shared/assets</c>.</summary>
    public static string Dir => Root.Value;

    /// <summary>Absolute path of a file or folder below <c>shared/assets</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    /// <summary>A fresh empty folder for one test, removed by the OS temp cleaner; never inside the repository.</summary>
    public static string NewTempDir([CallerMemberName] string name = "")
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hone-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Find() => Find(ThisFile());

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static string Find(string start)
    {
        var env = Environment.GetEnvironmentVariable("HONE_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            var p = System.IO.Path.Combine(env, "assets");
            if (Directory.Exists(p)) return p;
            if (Directory.Exists(env) && File.Exists(System.IO.Path.Combine(env, "README.md"))) return env;
        }
        for (var dir = System.IO.Path.GetDirectoryName(start); dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
        {
            var candidate = System.IO.Path.Combine(dir, "shared", "assets");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            "shared/assets not found: clone the repository with ../shared beside it, or set HONE_SHARED to the shared folder.");
    }
}
