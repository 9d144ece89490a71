using System.Text.Json;
using Hone.Data.Teach;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Hone.Ui.Tests;

/// <summary>
/// <c>hone ui</c> in a real browser (Debian's chromium through Playwright) over a workspace of real <c>hone</c> runs:
/// each view loads (a screenshot of each is written to the test output's <c>screenshots/</c>), filters work, a live
/// training run's curve grows while its page is open, an edit-to-teach save writes the two files, hostile outputs stay text.
/// </summary>
public sealed class UiBrowserTests(UiFixture fx, ITestOutputHelper output) : IClassFixture<UiFixture>
{
    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(UiFixture.Screenshots, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 1000);
        output.WriteLine("screenshot: " + path);
    }

    [Fact]
    public async Task Each_view_loads_and_is_captured()
    {
        var page = await fx.NewPage();
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(4); // two evals, one sft, the hostile eval
        Assert.Equal(1, await page.Locator($"#runs a[href='/train/{fx.Sft}']").CountAsync());
        Assert.True(await page.Locator("#runs svg.spark").CountAsync() >= 3);
        await Shot(page, "1-runs-home");

        await page.GotoAsync($"/eval/{fx.EvalA}");
        await Assertions.Expect(page.Locator("tr.case")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync(fx.EvalA);
        await Shot(page, "2-eval-run");

        await page.GotoAsync($"/compare?a={fx.EvalA}&b={fx.EvalB}");
        await Assertions.Expect(page.Locator("#difference")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#mcnemar")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#pairs tbody tr")).ToHaveCountAsync(8);
        await Shot(page, "3-compare");

        await page.GotoAsync($"/train/{fx.Sft}");
        var points = await page.Locator("polyline[data-series='train_loss']").GetAttributeAsync("data-total");
        Assert.Equal("12", points); // 24 examples / batch 4 × 2 epochs
        await Assertions.Expect(page.Locator("#checkpoints tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("progress#progress")).ToHaveAttributeAsync("value", "12");
        await Shot(page, "4-training-monitor");

        await page.GotoAsync($"/teach/{fx.EvalA}");
        await Assertions.Expect(page.Locator("#corrected")).ToBeVisibleAsync();
        await Shot(page, "5-edit-to-teach");

        await page.GotoAsync("/prompts");
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Prompt variants");
        await Shot(page, "6-prompts");

        await page.GotoAsync("/data?file=data%2Fflawed.jsonl");
        await Assertions.Expect(page.Locator("#findings")).ToContainTextAsync("duplicate");
        await Shot(page, "7-data-qa");

        var dark = await fx.NewPage("dark");
        await dark.GotoAsync($"/compare?a={fx.EvalA}&b={fx.EvalB}");
        var bg = await dark.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(13, 17, 23)", bg);
        await dark.ClickAsync("#theme"); // the switch overrides the system preference
        Assert.Equal("light", await dark.EvaluateAsync<string>("document.documentElement.getAttribute('data-theme')"));
        await dark.ClickAsync("#theme");
        await Shot(dark, "3-compare-dark");
    }

    [Fact]
    public async Task Filters_search_and_keyboard_work_and_live_in_the_url()
    {
        var page = await fx.NewPage();
        await page.GotoAsync($"/eval/{fx.EvalA}");
        await page.SelectOptionAsync("select[name=tag]", "even");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForURLAsync("**tag=even**");
        var tags = await page.Locator("tr.case .tag").AllTextContentsAsync();
        Assert.Equal(4, tags.Count);
        Assert.All(tags, t => Assert.Equal("even", t));

        await page.GotoAsync($"/eval/{fx.EvalA}?show=pass");
        var shownPass = await page.Locator("tr.case").CountAsync();
        await page.GotoAsync($"/eval/{fx.EvalA}?show=fail");
        var verdicts = await page.Locator("tr.case").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.verdict)");
        Assert.All(verdicts, v => Assert.Equal("fail", v));
        Assert.Equal(8, shownPass + verdicts.Length); // every case is a pass or a failure (no errors in this run)

        // Keyboard: "/" focuses the search, Escape-free typing and Enter submit; j moves between rows.
        await page.GotoAsync($"/eval/{fx.EvalA}");
        await page.Keyboard.PressAsync("/");
        Assert.Equal("q", await page.EvaluateAsync<string>("document.activeElement.name"));
        await page.Keyboard.TypeAsync("c3");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**q=c3**", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        await Assertions.Expect(page.Locator("tr.case")).ToHaveCountAsync(1);
        await page.Locator("body").ClickAsync(new LocatorClickOptions { Position = new Position { X = 5, Y = 300 } });
        await page.Keyboard.PressAsync("j");
        Assert.Equal("c3", await page.EvaluateAsync<string>("document.activeElement.dataset.case"));

        await page.GotoAsync("/");
        await page.WaitForTimeoutAsync(1500); // the live poll has read the workspace version once
        await page.FillAsync("input[name=q]", "sft-");
        // Another process writes while the search is being typed: the live refresh waits, so the text survives.
        foreach (var run in Directory.EnumerateDirectories(Path.Combine(fx.Dir, "runs")))
        {
            Directory.SetLastWriteTimeUtc(run, DateTime.UtcNow.AddSeconds(1));
        }

        await page.WaitForTimeoutAsync(2500);
        Assert.Equal("sft-", await page.InputValueAsync("input[name=q]"));
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForURLAsync("**q=sft-**");
        Assert.All(await page.Locator("#runs tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.kind)"), k => Assert.Equal("sft", k));

        await page.GotoAsync($"/compare?a={fx.EvalA}&b={fx.EvalB}");
        await page.CheckAsync("input[name=changed]");
        await page.ClickAsync("form.filters button[type=submit]");
        await page.WaitForURLAsync("**changed=1**");
        var changes = await page.Locator("#pairs tbody tr[data-change]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.change)");
        Assert.All(changes, c => Assert.Contains(c, new[] { "fixed", "regressed" }));
    }

    [Fact]
    public async Task A_training_run_started_by_another_process_shows_up_and_its_curve_grows_while_the_page_is_open()
    {
        var page = await fx.NewPage();
        await page.GotoAsync("/?kind=sft");
        var before = await page.Locator("#runs tbody tr").CountAsync();
        using var train = UiFixture.StartHone(fx.Dir, "train", "sft", "--model", UiFixture.Stories, "--template", "chatml", "--train", "data/train.jsonl",
            "--epochs", "200", "--batch-size", "1", "--lora-rank", "4", "--threads", "1", "--out", "runs/sft-live", "--json");
        try
        {
            // The runs page follows the store: the new run appears without a reload.
            var running = page.Locator("#runs tbody tr[data-status=running] a");
            await Assertions.Expect(running).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            Assert.Equal(before + 1, await page.Locator("#runs tbody tr").CountAsync());
            await running.ClickAsync();
            await page.WaitForURLAsync("**/train/**");
            var curve = page.Locator("polyline[data-series='train_loss']");
            await Assertions.Expect(curve).ToHaveCountAsync(1, new() { Timeout = 20_000 });
            var first = int.Parse(await curve.GetAttributeAsync("data-total") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            // No navigation from here: the page's script re-renders as the training process logs steps.
            await page.WaitForFunctionAsync("n => +document.querySelector(\"polyline[data-series='train_loss']\").getAttribute('data-total') > n + 5", first,
                new() { Timeout = 30_000, PollingInterval = 250 });
            var later = int.Parse(await curve.GetAttributeAsync("data-total") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"live curve: {first} → {later} points while the page was open");
            Assert.True(later > first);
            await Assertions.Expect(page.Locator("#progress")).ToHaveAttributeAsync("max", "4800");
            await Shot(page, "4-training-monitor-live");
        }
        finally
        {
            if (!train.HasExited) train.Kill(entireProcessTree: true);
            await train.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Edit_to_teach_shows_a_live_diff_previews_then_writes_the_sft_example_and_the_dpo_pair()
    {
        var page = await fx.NewPage();
        await page.GotoAsync($"/teach/{fx.EvalB}");
        var original = await page.Locator("#original").TextContentAsync() ?? "";
        var caseId = await page.Locator("input[name=case]").InputValueAsync();
        await page.FillAsync("#corrected", "Once upon a time there was a cat.");
        await Assertions.Expect(page.Locator("#diff ins", new() { HasText = "upon a time" })).ToHaveCountAsync(1); // the live diff followed the edit
        await page.Keyboard.PressAsync("Control+Enter"); // preview
        await Assertions.Expect(page.Locator("#sft-line")).ToContainTextAsync("Once upon a time there was a cat.");
        Assert.False(File.Exists(Path.Combine(fx.Dir, "data", TeachWriter.SftFile))); // nothing written by the preview
        await Shot(page, "5-edit-to-teach-preview");
        await page.ClickAsync("#save");
        await Assertions.Expect(page.Locator("#saved")).ToBeVisibleAsync();

        var sft = File.ReadAllLines(Path.Combine(fx.Dir, "data", TeachWriter.SftFile));
        var dpo = File.ReadAllLines(Path.Combine(fx.Dir, "data", TeachWriter.DpoFile));
        Assert.Single(sft);
        Assert.Single(dpo);
        var messages = JsonDocument.Parse(sft[0]).RootElement.GetProperty("messages");
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        Assert.StartsWith($"Tell me a story about a cat number {caseId[1..]}.", messages[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal("Once upon a time there was a cat.", messages[messages.GetArrayLength() - 1].GetProperty("content").GetString());
        var pair = JsonDocument.Parse(dpo[0]).RootElement;
        Assert.Equal("Once upon a time there was a cat.", pair.GetProperty("preferred_output")[0].GetProperty("content").GetString());
        Assert.Equal(original, pair.GetProperty("non_preferred_output")[0].GetProperty("content").GetString());
        // The written files are valid data for the trainers: hone data check accepts them.
        fx.Hone("data", "check", Path.Combine("data", TeachWriter.SftFile), "--json");
        await Shot(page, "5-edit-to-teach-saved");
    }

    [Fact]
    public async Task Hostile_outputs_never_run_script_or_fetch_anything()
    {
        var page = await fx.NewPage();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        var foreign = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith(fx.Url.ToString(), StringComparison.Ordinal)) foreign.Add(r.Url); };
        foreach (var path in new[] { $"/eval/{fx.Hostile}", $"/teach/{fx.Hostile}", $"/compare?a={fx.Hostile}&b={fx.Hostile}", $"/eval/{fx.EvalA}?q=script" })
        {
            await page.GotoAsync(path);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }
        await page.GotoAsync($"/eval/{fx.Hostile}");
        await Assertions.Expect(page.Locator("tr.case").First).ToContainTextAsync("<script>window.__pwned=1;alert('x')</script>");
        Assert.Equal(0, dialogs);
        Assert.Empty(foreign);
        Assert.True(await page.EvaluateAsync<bool>("typeof window.__pwned === 'undefined'"));
        Assert.Equal(0, await page.Locator("main img, main script, main svg[onload]").CountAsync());
        await Shot(page, "2-eval-run-hostile-outputs");
    }
}
