using System.Diagnostics;

namespace Hone.Bench.Train;

/// <summary>What the training benchmarks record beside every figure: load, CPU, commit; and their option parsing.</summary>
internal static class BenchMachine
{
    public static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

    public static string CpuName() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown" : "unknown";

    public static string Git(string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return s.Length > 0 ? s : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>--name value pairs; an unknown name is an error.</summary>
    public static Dictionary<string, string> ParseOptions(string command, string[] args, string[] known)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"{command}: expected --option value pairs; got '{args[i]}'");
            map[args[i][2..]] = args[++i];
        }

        if (map.Keys.FirstOrDefault(k => !known.Contains(k)) is { } bad)
            throw new ArgumentException($"{command}: unknown option --{bad}; known: {string.Join(", ", known.Select(k => "--" + k))}");
        return map;
    }

    /// <summary>A comma-separated list of integers (thread counts, seeds, shards).</summary>
    public static int[] Ints(string list) => [.. list.Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>CPU time of this process and of the calling thread (Linux clock_gettime): on a machine shared with other
/// work, work per CPU-second is steadier than work per wall-second.</summary>
internal static partial class CpuTime
{
    public static double Process() => Clock(2);

    public static double Thread() => Clock(3);

    private static double Clock(int id) =>
        ClockGetTime(id, out var t) == 0 ? t.Seconds + (t.Nanoseconds * 1e-9) : System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
