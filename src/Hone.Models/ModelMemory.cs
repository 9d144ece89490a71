using System.Globalization;

namespace Hone.Models;

/// <summary>
/// The check every model load makes before it allocates the weights: the float32 arena must fit in the memory this
/// process may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: the machine's memory or the container's
/// limit). A file whose header claims more fails here with both numbers instead of running out of memory.
/// </summary>
public static class ModelMemory
{
    /// <summary>The memory this process may use, in bytes.</summary>
    public static long AvailableBytes
    {
        get
        {
            var bytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return bytes > 0 ? bytes : long.MaxValue;
        }
    }

    /// <summary>
    /// Throws when <paramref name="bytes"/> of weights (described by <paramref name="what"/>, from
    /// <paramref name="source"/>) do not fit in <paramref name="availableBytes"/> (default <see cref="AvailableBytes"/>).
    /// </summary>
    /// <exception cref="ModelLoadException">The weights do not fit; the message gives both sizes and what to do.</exception>
    public static void Check(long bytes, string what, string source, long? availableBytes = null)
    {
        var available = availableBytes ?? AvailableBytes;
        if (bytes <= available)
        {
            return;
        }

        throw new ModelLoadException(
            $"{source}: the weights need {Size(bytes)} of memory as float32 ({what}), but this process may use {Size(available)}; "
            + "the model cannot be loaded here. Use a smaller model, or a machine (or container memory limit) with more memory; "
            + "if the sizes are not what the model should be, its header or config.json is wrong.") { FilePath = source };
    }

    /// <summary>Bytes of a float32 arena holding tensors of these element counts; <see cref="long.MaxValue"/> when that overflows.</summary>
    public static long ArenaBytes(IEnumerable<long> elementCounts)
    {
        ArgumentNullException.ThrowIfNull(elementCounts);
        long[] counts = [.. elementCounts];
        if (counts.Any(n => n > long.MaxValue / 8))
        {
            return long.MaxValue;
        }

        try
        {
            return checked(Hone.Numerics.Arena.FloatsFor(counts) * sizeof(float));
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>Elements of a tensor shape; <see cref="long.MaxValue"/> when that overflows.</summary>
    public static long Elements(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        try
        {
            long n = 1;
            foreach (var d in shape)
            {
                n = checked(n * d);
            }

            return n;
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    /// <summary>A byte count for messages: "812 MiB", "3.0 GiB", "14,901.2 TiB".</summary>
    public static string Size(long bytes)
    {
        if (bytes == long.MaxValue)
        {
            return "more than 8 EiB";
        }

        const double KiB = 1024;
        return bytes switch
        {
            < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / KiB / KiB:N0} MiB"),
            < 1L << 40 => string.Create(CultureInfo.InvariantCulture, $"{bytes / KiB / KiB / KiB:N1} GiB"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / KiB / KiB / KiB / KiB:N1} TiB"),
        };
    }
}
