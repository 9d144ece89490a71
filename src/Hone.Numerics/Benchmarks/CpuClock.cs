using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hone.Numerics.Benchmarks;

/// <summary>CPU time consumed by this process (all threads), with nanosecond resolution on Linux. On a loaded
/// machine, work per CPU-second is steadier than work per wall-second.</summary>
internal static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    /// <summary>Seconds of CPU time used by the process so far.</summary>
    public static double ProcessSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTimeId, out TimeSpec t) == 0)
        {
            return t.Seconds + (t.Nanoseconds * 1e-9);
        }

        using Process p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
