using Hone.Prompting.Tests.Fakes;
using Hone.Server;

namespace Hone.Prompting.Tests.Cli;

/// <summary>
/// The technique commands end to end: the prompt-sensitive simulated model (and its meta-model) served over HTTP by
/// Hone's OpenAI-compatible server, a workspace whose hone.yaml names it as a provider.
/// </summary>
public sealed class PromptTechniqueCommandTests : IAsyncLifetime
{
    private readonly ScriptedChatClient _model = RuleTask.Model();
    private readonly ScriptedChatClient _meta = new(RuleTask.Honest, "meta");
    private HoneServer _server = null!;
    private HoneServer _metaServer = null!;

    public async Task InitializeAsync()
    {
        _server = await HoneServer.StartAsync(_model, new ServerOptions { Port = 0, MaxConcurrency = 4, MaxQueue = 64 }, "rule");
        _metaServer = await HoneServer.StartAsync(_meta, new ServerOptions { Port = 0, MaxConcurrency = 2, MaxQueue = 64 }, "meta");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _metaServer.DisposeAsync();
    }

    private TestFiles Workspace(string budget = "")
    {
        var t = new TestFiles();
        Assert.Equal(0, Hone.Run(t.Dir, "init").ExitCode);
        foreach (var f in Directory.GetFiles(Path.Combine(t.Dir, "evals"))) File.Delete(f);
        t.Write("hone.yaml", $"task: rules\nproviders:\n  sim: {{base_url: {_server.BaseAddress}v1}}\n  meta: {{base_url: {_metaServer.BaseAddress}v1}}\n{budget}");
        t.Write("evals/golden.jsonl", RuleTask.Golden(24, RuleTask.Kinds));
        t.Write("evals/rules.yaml", "golden_set: golden.jsonl\nmodel: sim:rule\ngraders:\n  - {type: string_check, name: exact, input: \"{{sample.output_text}}\", reference: \"{{item.answer}}\", operation: eq}\n");
        t.Write("prompts/start.yaml", RuleTask.StartPrompt);
        return t;
    }

    [Fact]
    public void Variants_shows_the_estimate_refuses_above_the_budget_and_runs_with_yes()
    {
        var t = Workspace("prompting: {budget_calls: 30}\n");
        var refused = Hone.Run(t.Dir, "prompt", "variants", "start", "--only", "step-by-step", "--json");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _model.Calls);   // nothing was sent

        var r = Hone.Run(t.Dir, "prompt", "variants", "start", "--only", "step-by-step", "--yes", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(72, r.Json.GetProperty("estimate").GetProperty("calls").GetInt64());
        var rows = r.Json.GetProperty("result").GetProperty("variants");
        Assert.Equal(["direct", "step-by-step"], rows.EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        Assert.Equal(0.25, rows[0].GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal("direct", r.Json.GetProperty("result").GetProperty("recommended").GetString());
        var human = Hone.Run(t.Dir, "prompt", "variants", "start", "--only", "step-by-step", "--yes");
        Assert.Contains("McNemar p", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("estimate:", human.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Hone.Run(Workspace("prompting: {budget_dollars: 3}\n").Dir, "prompt", "variants", "start").ExitCode); // unknown key
    }

    [Fact]
    public void Eval_with_a_prompt_file_then_debug_then_optimize_then_bake()
    {
        var t = Workspace();
        var eval = Hone.Run(t.Dir, "eval", "rules", "--prompt", "start", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var run = eval.Json.GetProperty("runs")[0];
        Assert.Equal(0.25, run.GetProperty("summary").GetProperty("accuracy").GetDouble(), 12);

        var debug = Hone.Run(t.Dir, "prompt", "debug", "start", "--run", run.GetProperty("run_id").GetString()!, "--meta-model", "meta:meta", "--json");
        Assert.True(debug.ExitCode == 0, debug.Stderr + debug.Stdout);
        Assert.True(debug.Json.GetProperty("result").GetProperty("adopted").GetBoolean());
        Assert.True(File.Exists(Path.Combine(t.Dir, "prompts", "start.debugged.yaml")));

        var opt = Hone.Run(t.Dir, "prompt", "optimize", "start", "--meta-model", "meta:meta", "--max-calls", "400", "--json");
        Assert.True(opt.ExitCode == 0, opt.Stderr);
        var result = opt.Json.GetProperty("result");
        Assert.Equal("target_reached", result.GetProperty("verdict").GetString());
        Assert.True(File.Exists(Path.Combine(t.Dir, "prompts", "start.optimized.yaml")));
        var human = Hone.Run(t.Dir, "prompt", "optimize", "start", "--meta-model", "meta:meta", "--max-calls", "400");
        Assert.Contains("next: hone eval rules --prompt", human.Stdout, StringComparison.Ordinal);

        t.Write("data/train.jsonl", """{"messages": [{"role": "user", "content": "alpha: kiwi"}, {"role": "assistant", "content": "iwik"}]}""");
        var bake = Hone.Run(t.Dir, "data", "bake", "prompts/start.optimized.yaml", "--data", "data/train.jsonl", "--json");
        Assert.True(bake.ExitCode == 0, bake.Stderr);
        Assert.Equal(1, bake.Json.GetProperty("system_added").GetInt32());
        Assert.Contains("RULE gamma", File.ReadAllText(Path.Combine(t.Dir, "data", "train.baked.jsonl")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("variants")]
    [InlineData("best-of")]
    [InlineData("induce")]
    [InlineData("debug")]
    [InlineData("optimize")]
    [InlineData("show")]
    [InlineData("lint")]
    public void Every_prompt_command_has_help(string command)
    {
        var r = Hone.Run(new TestFiles().Dir, "prompt", command, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--json", r.Stdout, StringComparison.Ordinal);
    }
}
