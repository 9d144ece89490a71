namespace Hone.Architecture.Tests;

/// <summary>
/// The project references of every src csproj, held to the map: exactly the arrows DEVELOPERS.md draws, each pointing to
/// a lower level, none of them a "never".
/// </summary>
public class ProjectReferenceTests
{
    private static readonly string Root = Map.RepositoryRoot();

    [Fact]
    public void Every_src_project_is_on_the_map()
    {
        var onDisk = Map.ReferencesInCsprojFiles(Root).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(onDisk, Map.Projects.Select(p => p.Project).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(onDisk, Map.ReferencesInDevelopersGuide(Root).Keys.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void The_references_are_exactly_the_arrows_drawn_in_DEVELOPERS_md()
    {
        var drawn = Map.ReferencesInDevelopersGuide(Root);
        var problems = new List<string>();
        foreach (var (project, references) in Map.ReferencesInCsprojFiles(Root))
        {
            var allowed = drawn.TryGetValue(project, out var a) ? a : [];
            problems.AddRange(references.Except(allowed).Select(r => $"{project} → {r} is not an arrow of DEVELOPERS.md's map"));
            problems.AddRange(allowed.Except(references).Select(r => $"{project} → {r} is drawn in DEVELOPERS.md but {project}.csproj has no such reference"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_reference_points_down_and_none_is_a_never()
    {
        var problems = new List<string>();
        foreach (var (project, references) in Map.ReferencesInCsprojFiles(Root))
        {
            foreach (var r in references)
            {
                if (Map.Level(r) >= Map.Level(project))
                    problems.Add($"{project} (level {Map.Level(project)}) → {r} (level {Map.Level(r)}) does not point down the stack");
                if (Map.Never.TryGetValue(project, out var never) && never.Contains(r))
                    problems.Add($"{project} → {r} is a 'never' of DEVELOPERS.md's map");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
