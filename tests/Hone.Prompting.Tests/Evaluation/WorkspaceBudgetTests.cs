using Hone.Store;

namespace Hone.Prompting.Tests.Evaluation;

public class WorkspaceBudgetTests
{
    [Fact]
    public void The_prompting_budget_is_read_validated_and_unknown_keys_are_errors()
    {
        var c = WorkspaceConfig.Parse("task: t\nprompting:\n  budget_usd: 2.5\n  budget_calls: 900\n", "hone.yaml");
        Assert.Equal(2.5m, c.Prompting!.BudgetUsd);
        Assert.Equal(900, c.Prompting.BudgetCalls);
        Assert.Null(WorkspaceConfig.Parse("task: t\n", "hone.yaml").Prompting);
        Assert.DoesNotContain("prompting", new WorkspaceConfig().ToYaml(), StringComparison.Ordinal);
        var neg = Assert.Throws<WorkspaceException>(() => WorkspaceConfig.Parse("task: t\nprompting: {budget_calls: -1}\n", "hone.yaml"));
        Assert.Contains("prompting.budget_calls", neg.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<WorkspaceException>(() => WorkspaceConfig.Parse("task: t\nprompting:\n  budget: 3\n", "hone.yaml"));
        Assert.StartsWith("hone.yaml:3:", unknown.Message, StringComparison.Ordinal);
    }
}
