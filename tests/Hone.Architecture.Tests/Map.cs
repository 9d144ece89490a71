using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hone.Architecture.Tests;

/// <summary>
/// The map of DEVELOPERS.md as data: every src project with its level (an arrow, a project reference or a type's
/// dependency, must point to a strictly lower level), and the arrows the map says never exist, whatever the table in
/// DEVELOPERS.md says. A new src project must be placed here before the tests pass.
/// </summary>
internal static partial class Map
{
    /// <summary>Each src project, its level (0 is the base), and one of its types (to load its assembly).</summary>
    public static readonly IReadOnlyList<(string Project, int Level, Assembly Assembly)> Projects =
    [
        ("Hone.Core", 0, typeof(Hone.Core.HoneException).Assembly),
        ("Hone.Numerics", 1, typeof(Hone.Numerics.Arena).Assembly),
        ("Hone.Store", 1, typeof(Hone.Store.RunStore).Assembly),
        ("Hone.Formats", 2, typeof(Hone.Formats.HoneFormatException).Assembly),
        ("Hone.Tokenizers", 3, typeof(Hone.Tokenizers.TokenizerFormatException).Assembly),
        ("Hone.Models", 4, typeof(Hone.Models.ModelLoadException).Assembly),
        ("Hone.Data", 4, typeof(Hone.Data.Model.DataFormatException).Assembly),
        ("Hone.Training", 5, typeof(Hone.Training.TrainingException).Assembly),
        ("Hone.Evals", 5, typeof(Hone.Evals.Specs.EvalSpecException).Assembly),
        ("Hone.Prompting", 6, typeof(Hone.Prompting.Files.PromptFileException).Assembly),
        ("Hone.FineTuning", 6, typeof(Hone.FineTuning.FileRecord).Assembly),
        ("Hone.Remote", 6, typeof(Hone.Remote.FireworksFineTuning).Assembly),
        ("Hone.Migrate", 6, typeof(Hone.Migrate.Run.CaseOutcome).Assembly),
        ("Hone.App", 7, typeof(Hone.App.UseCaseException).Assembly),
        ("Hone.Server", 8, typeof(Hone.Server.HoneServer).Assembly),
        ("Hone.Ui", 8, typeof(Hone.Ui.UiOptions).Assembly),
        ("Hone.Cli", 9, typeof(Hone.Cli.CliHost).Assembly),
    ];

    /// <summary>The "never"s of DEVELOPERS.md: project → the projects it must never reach (directly or through types).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Never = new Dictionary<string, string[]>
    {
        // Kernels know no model (and nothing else of Hone).
        ["Hone.Numerics"] = Others("Hone.Numerics"),
        // Formats know no architecture and no objective.
        ["Hone.Formats"] = ["Hone.Models", "Hone.Training", "Hone.Numerics", "Hone.Store"],
        // The engine knows no objective, no data set, no eval.
        ["Hone.Models"] = ["Hone.Training", "Hone.Data", "Hone.Evals", "Hone.Prompting", "Hone.Store"],
        // Evals and Prompting never reach into the engine: a model is an IChatClient.
        ["Hone.Evals"] = ["Hone.Models", "Hone.Numerics", "Hone.Training"],
        ["Hone.Prompting"] = ["Hone.Models", "Hone.Numerics", "Hone.Training"],
        // The store knows no screen (and no library above it).
        ["Hone.Store"] = Others("Hone.Store", "Hone.Core"),
        // The serving stack carries no SQLite.
        ["Hone.Data"] = ["Hone.Store", "Hone.Models"],
    };

    /// <summary>Libraries: they report through callbacks and results, never the console.</summary>
    public static readonly string[] Libraries =
        ["Hone.Core", "Hone.Numerics", "Hone.Store", "Hone.Formats", "Hone.Tokenizers", "Hone.Models", "Hone.Data", "Hone.Training", "Hone.Evals",
         "Hone.Prompting", "Hone.FineTuning", "Hone.Remote", "Hone.Migrate", "Hone.App"];

    public static int Level(string project) => Projects.Single(p => p.Project == project).Level;

    public static Assembly AssemblyOf(string project) => Projects.Single(p => p.Project == project).Assembly;

    private static string[] Others(params string[] except) => [.. Projects.Select(p => p.Project).Where(p => !except.Contains(p))];

    /// <summary>
    /// The repository root (the folder with Hone.slnx), found by walking up from the test's folder, or else (a build
    /// with --artifacts-path elsewhere) from this source file's folder.
    /// </summary>
    public static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Hone.slnx"))) return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Hone.slnx not found above {AppContext.BaseDirectory} or {sourceFile}");
    }

    /// <summary>Every src project's ProjectReferences, read from its csproj: project → referenced project names.</summary>
    public static IReadOnlyDictionary<string, SortedSet<string>> ReferencesInCsprojFiles(string root)
    {
        var result = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var csproj in Directory.GetFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var references = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')));
            result[Path.GetFileNameWithoutExtension(csproj)] = new SortedSet<string>(references, StringComparer.Ordinal);
        }

        return result;
    }

    /// <summary>
    /// The arrows drawn in DEVELOPERS.md: lines "Hone.X → A, B, C" (names without "Hone.", "(none)" for none).
    /// </summary>
    public static IReadOnlyDictionary<string, SortedSet<string>> ReferencesInDevelopersGuide(string root)
    {
        var result = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(root, "DEVELOPERS.md")))
        {
            var m = ArrowLine().Match(line);
            if (!m.Success) continue;
            var targets = m.Groups[2].Value.Trim() == "(none)" ? [] : m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            result[m.Groups[1].Value] = new SortedSet<string>(targets.Select(t => "Hone." + t), StringComparer.Ordinal);
        }

        return result;
    }

    [GeneratedRegex(@"^(Hone\.\w+)\s+→\s+(.+)$")]
    private static partial Regex ArrowLine();
}
