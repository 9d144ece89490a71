using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using Xunit.Abstractions;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Hone.Architecture.Tests;

/// <summary>
/// The map's "never"s at the level of types (ArchUnitNET reads the compiled assemblies): what a project reference
/// would allow, a type still must not use.
/// </summary>
public class TypeDependencyTests
{
    private static readonly ArchUnitNET.Domain.Architecture Hone =
        new ArchLoader().LoadAssemblies([.. Map.Projects.Select(p => p.Assembly)]).Build();

    private static IObjectProvider<IType> In(params string[] projects) =>
        Types().That().ResideInAssembly(Map.AssemblyOf(projects[0]), [.. projects.Skip(1).Select(Map.AssemblyOf)]).As(string.Join(", ", projects));

    private readonly ITestOutputHelper _output;

    public TypeDependencyTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> NeverRules() => [.. Map.Never.Keys];

    public static TheoryData<string> Projects() => [.. Map.Projects.Select(p => p.Project)];

    public static TheoryData<string> Libraries() => [.. Map.Libraries];

    [Theory]
    [MemberData(nameof(NeverRules))]
    public void A_project_never_uses_the_types_the_map_forbids_it(string project) =>
        Types().That().Are(In(project)).Should().NotDependOnAny(In(Map.Never[project]))
            .Because($"DEVELOPERS.md's map: {project} never reaches {string.Join(", ", Map.Never[project])}")
            .Check(Hone);

    [Theory]
    [MemberData(nameof(Projects))]
    public void Types_depend_only_down_the_stack(string project)
    {
        var sameOrHigher = Map.Projects.Where(p => p.Project != project && p.Level >= Map.Level(project)).Select(p => p.Project).ToArray();
        if (sameOrHigher.Length == 0) return; // the top of the stack
        Types().That().Are(In(project)).Should().NotDependOnAny(In(sameOrHigher))
            .Because($"arrows point down the stack: {project} is at level {Map.Level(project)}")
            .Check(Hone);
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Libraries_report_through_callbacks_never_the_console(string project) =>
        Types().That().Are(In(project)).Should().NotDependOnAnyTypesThat().HaveFullName("System.Console")
            .AndShould().NotDependOnAnyTypesThat().ResideInNamespace("Spectre.Console")
            .Because("libraries report through callbacks and results; only the screens (Cli, Server) write to the console")
            .Check(Hone);

    [Fact]
    public void A_forbidden_type_dependency_fails_the_rule_and_names_the_types()
    {
        // The rules above are not vacuous: the same rule over a project that does use Models types (Cli) fails.
        var rule = Types().That().Are(In("Hone.Cli")).Should().NotDependOnAny(In("Hone.Models"));
        Assert.False(rule.HasNoViolations(Hone));
        var failure = Assert.ThrowsAny<Exception>(() => rule.Check(Hone));
        Assert.Contains("Hone.Models.", failure.Message, StringComparison.Ordinal);
        _output.WriteLine(failure.Message);
    }

    [Fact]
    public void Every_public_exception_of_Hone_is_a_HoneException()
    {
        // One error type: every kind-bearing error derives from HoneException; the server's wire error is the one exception.
        Classes().That().AreAssignableTo(typeof(Exception)).And().ArePublic().And().AreNot(typeof(Hone.Server.OpenAiError))
            .Should().BeAssignableTo(typeof(Hone.Core.HoneException))
            .Because("the CLI and the server map an error's kind, never its type or namespace")
            .Check(Hone);
    }
}
