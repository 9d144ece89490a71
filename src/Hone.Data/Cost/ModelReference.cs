using System.Text.RegularExpressions;
using Hone.Core;
using Hone.Data.Checks;

namespace Hone.Data.Cost;

/// <summary>
/// What a <c>--model</c> value that may be a path or a name refers to. An existing file or folder is a local model.
/// Otherwise a value that looks like a path (it holds a path separator, starts with <c>.</c> or <c>~</c>, or ends in a
/// model-file extension such as <c>.bin</c>, <c>.gguf</c>, <c>.safetensors</c>) is a mistyped path: an error, never a
/// model name. Anything else must be a known model name (the price table or the table of known context limits);
/// an unknown one is an error listing the close names.
/// </summary>
public static partial class ModelReference
{
    /// <summary>Extensions of model files: a value ending in one is a path.</summary>
    public static IReadOnlyList<string> ModelFileExtensions { get; } = [".bin", ".gguf", ".safetensors", ".pt", ".pth", ".ckpt", ".onnx"];

    /// <summary>Whether <paramref name="value"/> reads as a file-system path rather than a model name.</summary>
    public static bool LooksLikePath(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal)
            || value.StartsWith('.') || value.StartsWith('~')
            || ModelFileExtensions.Any(e => value.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary><c>~</c> or <c>~/…</c> with the home folder in place of <c>~</c> (a shell does not expand it inside quotes or after <c>=</c>).</summary>
    public static string ExpandHome(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value != "~" && !value.StartsWith("~/", StringComparison.Ordinal)) return value;
        return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + value[1..];
    }

    /// <summary>
    /// Checks a value that named no existing file or folder (<paramref name="resolvedPath"/> is where it was looked
    /// for): a path-like value is an error, and so is a name that neither <paramref name="table"/> nor the known
    /// context limits know.
    /// </summary>
    /// <param name="value">The value as given.</param>
    /// <param name="resolvedPath">Where it was looked for as a path.</param>
    /// <param name="table">The price table in effect.</param>
    /// <param name="option">The option's name for the message (e.g. <c>--model</c>).</param>
    /// <exception cref="ModelReferenceException">A path that does not exist, or an unknown name.</exception>
    public static void EnsureName(string value, string resolvedPath, PriceTable table, string option)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (LooksLikePath(value))
        {
            throw new ModelReferenceException(
                $"{option} '{value}': no such file or folder ({resolvedPath}). Give the path of a local model (a Hugging Face folder, " +
                "a .gguf file or a llama2.c .bin checkpoint), or a model name for the price and context limit (e.g. gpt-4o-mini).");
        }
        EnsureKnown(value, table, option);
    }

    /// <summary>Checks that a model name is in <paramref name="table"/> or the known context limits.</summary>
    /// <exception cref="ModelReferenceException">An unknown name; the message lists the close ones.</exception>
    public static void EnsureKnown(string name, PriceTable table, string option)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(table);
        if (table.Find(name) is not null || ContextLimits.Find(name) is not null) return;
        var known = table.Prices.Select(p => p.Model).Concat(ContextLimits.Known.Keys).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var close = CloseNames(name, known);
        throw new ModelReferenceException(
            $"{option} '{name}' is not a local model (no such file or folder) and not a model of the price table ({table.Source}) " +
            $"or of the known context limits. {(close.Count > 0 ? "Close names: " + string.Join(", ", close) : "Known names: " + string.Join(", ", known))}. " +
            "Give one of them, a local model's path, or --price-per-1m and --context-limit without a name.");
    }

    /// <summary>
    /// The names of <paramref name="candidates"/> within a small edit distance of <paramref name="name"/> (compared with
    /// and without a trailing date such as <c>-2024-07-18</c>), nearest first, at most <paramref name="max"/>.
    /// </summary>
    public static IReadOnlyList<string> CloseNames(string name, IEnumerable<string> candidates, int max = 5)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        var wanted = name.ToLowerInvariant();
        var limit = Math.Max(2, wanted.Length / 4);
        return [.. candidates
            .Select(c => (Name: c, Distance: Math.Min(Distance(wanted, c.ToLowerInvariant()), Distance(wanted, DateSuffix().Replace(c.ToLowerInvariant(), "")))))
            .Where(x => x.Distance <= limit)
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Take(max)
            .Select(x => x.Name)];
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions), two rows.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    [GeneratedRegex(@"-(\d{4}-\d{2}-\d{2}|\d{4})$")]
    private static partial Regex DateSuffix();
}

/// <summary>A <c>--model</c> value that is neither an existing local model nor a known model name.</summary>
public sealed class ModelReferenceException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public ModelReferenceException() : base(ErrorKind.NotFound, "Unknown model.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ModelReferenceException(string message) : base(ErrorKind.NotFound, message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ModelReferenceException(string message, Exception innerException) : base(ErrorKind.NotFound, message, null, innerException) { }
}
