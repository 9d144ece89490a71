using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hone.Cli;
using Hone.Store;
using Hone.Testing;
using Microsoft.Playwright;

namespace Hone.Ui.Tests;

/// <summary>
/// A workspace made by real <c>hone</c> runs on stories260K (two evals with different chat templates, a short SFT run),
/// plus a flawed data file and an eval run of hostile outputs; a real <c>hone ui</c> process over it on a free loopback
/// port; and Debian's chromium driven by Playwright (never a downloaded browser).
/// </summary>
public sealed class UiFixture : IAsyncLifetime
{
    public static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>The system chromium (apt); HONE_CHROMIUM overrides.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("HONE_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private Process? _ui;
    private IPlaywright? _playwright;

    public string Dir { get; } = TestAssets.NewTempDir("ui");
    public string EvalA { get; private set; } = "";
    public string EvalB { get; private set; } = "";
    public string Hostile { get; private set; } = "";
    public string Sft { get; private set; } = "";
    public Uri Url { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: the test output folder's <c>screenshots/</c>.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: the UI tests drive Debian's chromium. Install it with 'apt-get install -y chromium' (.ci/run does).");
        Hone("init");
        File.WriteAllText(Path.Combine(Dir, "evals", "golden.jsonl"), string.Join("\n", Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
        {
            id = $"c{i}",
            q = $"Tell me a story about a cat number {i}." + (i == 3 ? " <script>alert(1)</script> ![x](http://evil.example/leak)" : ""),
            a = "Once",
            tags = new[] { i % 2 == 0 ? "even" : "odd" },
        }))));
        File.WriteAllText(Path.Combine(Dir, "evals", "story.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.a}}"
                operation: eq
            max_tokens: 6
            seed: 1
            """);
        WriteTrainData(Path.Combine(Dir, "data", "train.jsonl"), 24);
        File.WriteAllText(Path.Combine(Dir, "data", "flawed.jsonl"),
            """
            {"messages":[{"role":"user","content":"Is 1 even?"},{"role":"assistant","content":"no"}]}
            {"messages":[{"role":"user","content":"Is 1 even?"},{"role":"assistant","content":"no"}]}
            {"messages":[{"role":"user","content":"<script>alert(2)</script>"}]}
            """ + "\n");
        EvalA = RunId(Hone("eval", "story", "--model", "local:" + Stories, "--template", "chatml", "--json"));
        EvalB = RunId(Hone("eval", "story", "--model", "local:" + Stories, "--template", "llama2", "--json"));
        Sft = JsonDocument.Parse(Hone("train", "sft", "--model", Stories, "--template", "chatml", "--train", "data/train.jsonl", "--epochs", "2",
            "--batch-size", "4", "--lora-rank", "4", "--threads", "1", "--out", "runs/sft-small", "--json")).RootElement.GetProperty("run").GetString()!;
        Hostile = SyntheticRuns.AddEvalRun(Workspace.Open(Dir), "hostile", SyntheticRuns.Hostile.Length,
            i => SyntheticRuns.Sample("h" + i, SyntheticRuns.Hostile[i], pass: false, tag: "hostile", detail: SyntheticRuns.Hostile[i]));

        _ui = StartHone(Dir, "ui", "--port", "0", "--json");
        var json = new StringBuilder();
        while (await _ui.StandardOutput.ReadLineAsync() is { } line)
        {
            json.AppendLine(line);
            if (line == "}") break;
        }
        Url = new Uri(JsonDocument.Parse(json.ToString()).RootElement.GetProperty("url").GetString()!);
        Assert.True(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(Url.Host)));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_ui is { HasExited: false })
        {
            _ui.Kill(entireProcessTree: true);
            await _ui.WaitForExitAsync();
        }
        _ui?.Dispose();
    }

    /// <summary>A new page with a viewport fit for screenshots.</summary>
    public async Task<IPage> NewPage(string colorScheme = "light")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = colorScheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
            BaseURL = Url.ToString(),
        });
        return await context.NewPageAsync();
    }

    /// <summary>Runs <c>hone</c> in this process in the workspace; returns stdout (a failure fails the fixture).</summary>
    public string Hone(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = HoneApp.RunAsync(args, stdout, stderr, Dir).GetAwaiter().GetResult();
        Assert.True(code == 0, $"hone {string.Join(' ', args)}: exit {code}\n{stderr}");
        return stdout.ToString();
    }

    /// <summary>Starts a real <c>hone</c> process (the built CLI beside the tests) in <paramref name="dir"/>.</summary>
    public static Process StartHone(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Hone.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    public static void WriteTrainData(string path, int n)
    {
        string[] answers = ["yes", "no"];
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = answers[i % 2] } },
        })));
    }

    private static string RunId(string json) => JsonDocument.Parse(json).RootElement.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
}
