using Hone.Store;
using Hone.Testing;

namespace Hone.Store.Tests;

public class WorkspaceTests
{
    [Fact]
    public void Init_creates_config_folders_and_a_wal_run_store()
    {
        var dir = Path.Combine(TestAssets.NewTempDir(), "ticket-triage");
        var ws = Workspace.Init(dir);

        Assert.True(File.Exists(Path.Combine(dir, "hone.yaml")));
        foreach (var sub in new[] { "data", "prompts", "evals", "runs", ".hone" })
            Assert.True(Directory.Exists(Path.Combine(dir, sub)), sub);
        Assert.True(File.Exists(Path.Combine(dir, ".hone", "hone.db")));
        Assert.Equal("ticket-triage", ws.Config.Task);
        using var store = ws.OpenStore();
        Assert.Equal("wal", store.JournalMode);
    }

    [Fact]
    public void Init_never_overwrites_an_existing_workspace_config()
    {
        var dir = TestAssets.NewTempDir();
        Workspace.Init(dir, new WorkspaceConfig { Task = "first" });
        var before = File.ReadAllText(Path.Combine(dir, "hone.yaml"));

        var e = Assert.Throws<WorkspaceException>(() => Workspace.Init(dir, new WorkspaceConfig { Task = "second" }));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir, "hone.yaml")));
        Assert.Equal("first", Workspace.Init(dir).Config.Task); // re-init without config opens it
    }

    [Fact]
    public void Find_walks_up_from_a_nested_folder_like_git()
    {
        var dir = TestAssets.NewTempDir();
        Workspace.Init(dir);
        var nested = Directory.CreateDirectory(Path.Combine(dir, "data", "a", "b")).FullName;

        Assert.Equal(Path.GetFullPath(dir), Workspace.Find(nested)!.Root);
        Assert.Null(Workspace.Find(TestAssets.NewTempDir()));
        var e = Assert.Throws<WorkspaceException>(() => Workspace.Require(TestAssets.NewTempDir()));
        Assert.Contains("hone init", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_round_trips_through_yaml()
    {
        var config = new WorkspaceConfig
        {
            Task = "extract",
            DefaultModel = "local:models/base",
            PriceTable = "prices.yaml",
            Providers = { ["openai"] = new ProviderConfig { BaseUrl = "https://api.openai.com/v1", ApiKeyEnv = "OPENAI_API_KEY" } },
        };
        var back = WorkspaceConfig.Parse(config.ToYaml(), "hone.yaml");
        Assert.Equal("extract", back.Task);
        Assert.Equal("local:models/base", back.DefaultModel);
        Assert.Equal("prices.yaml", back.PriceTable);
        Assert.Equal("OPENAI_API_KEY", back.Providers["openai"].ApiKeyEnv);
        Assert.Equal("runs", back.Paths.Runs);
        Assert.Null(back.Providers["openai"].TokensPerMinute);
        var limited = WorkspaceConfig.Parse("task: x\nproviders:\n  p:\n    base_url: http://x/v1\n    tokens_per_minute: 90000\n", "hone.yaml");
        Assert.Equal(90000, limited.Providers["p"].TokensPerMinute);
    }

    [Theory]
    [InlineData("task: x\nmodle: y\n", "modle")]                  // unknown key, with its position
    [InlineData("task: x\npaths:\n  data: ../outside\n", "inside the workspace")]
    [InlineData("task: x\nproviders:\n  p:\n    base_url: ftp://x\n", "http(s)")]
    [InlineData("task: [unclosed\n", "hone.yaml:")]
    [InlineData("task: x\nproviders:\n  p:\n    base_url: http://x/v1\n    tokens_per_minute: 0\n", "tokens_per_minute")]
    public void Config_errors_say_what_and_where(string yaml, string expected)
    {
        var e = Assert.Throws<WorkspaceException>(() => WorkspaceConfig.Parse(yaml, "hone.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
