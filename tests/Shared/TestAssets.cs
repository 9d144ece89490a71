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

    /// <summary>
    /// A fresh empty folder for one test, never inside the repository. It lies in this test process's own folder
    /// (<c>hone-tests/run-PID-…</c>), which is removed when the process exits; folders left by test processes that are
    /// gone (killed runs) are removed by the next one. A suite run used to leave about a gigabyte behind.
    /// </summary>
    public static string NewTempDir([CallerMemberName] string name = "")
    {
        var dir = System.IO.Path.Combine(RunDir.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static readonly Lazy<string> RunDir = new(CreateRunDir);

    private static string CreateRunDir()
    {
        var parent = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hone-tests");
        Directory.CreateDirectory(parent);
        foreach (var old in Directory.EnumerateDirectories(parent, "run-*"))
        {
            var parts = System.IO.Path.GetFileName(old).Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], out var pid) && !Alive(pid)) TryDelete(old);
        }
        var dir = System.IO.Path.Combine(parent, $"run-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(dir);
        return dir;
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // in use or already gone: the next test process sweeps it
        }
        catch (UnauthorizedAccessException)
        {
        }
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
