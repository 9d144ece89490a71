using System.Text.RegularExpressions;

namespace Hone.Architecture.Tests;

/// <summary>House rule 9 in the sources: a class is read top to bottom in one file, not spread over partial files.</summary>
public partial class SourceFileTests
{
    [Fact]
    public void No_type_is_declared_partial_in_more_than_one_file()
    {
        var src = Path.Combine(Map.RepositoryRoot(), "src");
        var split = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => PartialType().Matches(File.ReadAllText(file)).Select(m => (
                Type: Path.GetRelativePath(src, file).Split(Path.DirectorySeparatorChar)[0] + "/" + m.Groups[1].Value,
                File: Path.GetRelativePath(src, file))))
            .GroupBy(d => d.Type, StringComparer.Ordinal)
            .Where(g => g.Select(d => d.File).Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(d => d.File).Distinct().Order(StringComparer.Ordinal))}")
            .ToList();
        Assert.True(split.Count == 0, "Types spread over partial files (make them cohesive classes of their own; source-generator partials stay in one file):\n" + string.Join("\n", split));
    }

    [Fact]
    public void The_partial_type_scan_sees_a_declaration_with_modifiers_and_a_primary_constructor()
    {
        var m = PartialType().Match("internal sealed partial class GraderBuilder(GraderDialect dialect)\n{");
        Assert.Equal("GraderBuilder", m.Groups[1].Value);
        Assert.Equal("Proposal", PartialType().Match("public sealed partial record Proposal(string A)").Groups[1].Value);
        Assert.DoesNotMatch(PartialType(), "    private static partial Regex ArrowLine();");
    }

    [GeneratedRegex(@"\bpartial\s+(?:class|record\s+struct|record\s+class|record|struct|interface)\s+(\w+)")]
    private static partial Regex PartialType();
}
