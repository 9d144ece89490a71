using System.Globalization;

namespace Hone.Cli.Commands;

/// <summary>The "auto or a number" options of hone remote and hone handoff.</summary>
internal static class AutoOption
{
    /// <summary>"auto" as null, else the number; anything else is a usage error naming <paramref name="option"/>.</summary>
    public static double? Parse(string text, string option) =>
        text == "auto" ? null
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new CliUsageException($"{option} '{text}' must be auto or a number.");
}
