using System.Text.RegularExpressions;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Multi;

namespace Hone.Evals.Specs;

/// <summary>Settings of a spec that load fine but are probably not what was meant.</summary>
internal static partial class SpecWarnings
{
    /// <summary>The warnings for <paramref name="graders"/> (sub-graders of multi graders included); <paramref name="at"/> is where they sit.</summary>
    public static IReadOnlyList<string> Of(IReadOnlyList<IGrader> graders, string at)
    {
        var list = new List<string>();
        foreach (var g in graders) Visit(g, g.Name, at, list);
        return list;
    }

    private static void Visit(IGrader g, string path, string at, List<string> list)
    {
        switch (g)
        {
            case RegexGrader r when Braces().Match(r.Pattern.ToString()) is { Success: true } m:
                list.Add($"{at}: grader '{path}': the regex pattern holds '{m.Value}', but a pattern is not a template: it matches those braces " +
                    "literally and never the field's value. To compare the output with a field, use a string_check (operation eq) or classification grader.");
                break;
            case MultiGrader multi:
                foreach (var (name, sub) in multi.Graders) Visit(sub, path + "." + name, at, list);
                break;
        }
    }

    [GeneratedRegex(@"\{\{[^{}]*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Braces();
}
