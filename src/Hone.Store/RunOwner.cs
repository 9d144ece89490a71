using System.ComponentModel;
using System.Diagnostics;

namespace Hone.Store;

/// <summary>
/// The process that owns a running run: its id, its start time (so a recycled process id is not mistaken for the
/// owner) and its machine. The store records it when a run starts or resumes; a run still marked running whose owner
/// is gone reads as <see cref="RunStatus.Interrupted"/>.
/// </summary>
/// <param name="ProcessId">The owner's process id.</param>
/// <param name="StartedUtc">When the owner process started (UTC).</param>
/// <param name="Host">The machine the owner runs on.</param>
public sealed record RunOwner(int ProcessId, DateTime StartedUtc, string Host)
{
    /// <summary>Two start times of one process may differ by this much (clock granularity of the process table).</summary>
    public static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    private static readonly Lazy<RunOwner> CurrentOwner = new(() =>
    {
        using var self = Process.GetCurrentProcess();
        return Of(self);
    });

    /// <summary>This process.</summary>
    public static RunOwner Current => CurrentOwner.Value;

    /// <summary>The owner record of a live process.</summary>
    /// <exception cref="InvalidOperationException">The process has exited or cannot be inspected.</exception>
    public static RunOwner Of(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        return new RunOwner(process.Id, process.StartTime.ToUniversalTime(), Environment.MachineName);
    }

    /// <summary>
    /// Whether the owner may still be running: false when its process is gone or the id now belongs to a process that
    /// started at another time; true when it is alive, or when it runs on another machine (which cannot be checked).
    /// </summary>
    public bool IsAlive()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true;
        if (ProcessId == Environment.ProcessId) return (Current.StartedUtc - StartedUtc).Duration() <= StartTimeTolerance;
        Process process;
        try
        {
            process = Process.GetProcessById(ProcessId);
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        using (process)
        {
            try
            {
                if (process.HasExited) return false;
                return (process.StartTime.ToUniversalTime() - StartedUtc).Duration() <= StartTimeTolerance;
            }
            catch (InvalidOperationException)
            {
                return false; // exited between the look-up and the question
            }
            catch (Win32Exception)
            {
                return true; // alive but not ours to inspect: assume it is the owner
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"process {ProcessId} on {Host}, started {StartedUtc:yyyy-MM-dd HH:mm:ss} UTC";
}
