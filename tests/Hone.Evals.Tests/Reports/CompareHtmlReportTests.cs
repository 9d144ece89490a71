using System.Globalization;
using Hone.Evals.Compare;
using Hone.Evals.Reports;
using Hone.Evals.Tests.Compare;
using Hone.Testing;

namespace Hone.Evals.Tests.Reports;

public class CompareHtmlReportTests
{
    private static RunComparison Hostile()
    {
        var a = RunComparisonTests.Run("A", i => i < 2, cases: 4, tags: i => i == 0 ? ["<b>tag</b>"] : []);
        var b = RunComparisonTests.Run("B", i => i is 1 or 2, cases: 4);
        // Case c0 regresses with an output that holds markup; c2 is fixed.
        b = b with { Results = [.. b.Results.Select(r => r.CaseId == "c0" ? r with { Output = "<script>alert('x')</script> & \"quotes\"" } : r)] };
        return RunComparison.Compute(a, b, seed: 1);
    }

    [Fact]
    public void Outputs_holding_markup_are_escaped_and_the_page_has_no_script_or_external_resource()
    {
        var html = CompareHtmlReport.Render(Hostile());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>tag</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;tag&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" src=", html, StringComparison.Ordinal);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_carries_the_numbers_and_the_word_diff_of_changed_cases()
    {
        var cmp = Hostile();
        var html = CompareHtmlReport.Render(cmp);
        Assert.Contains("fixed 1", html, StringComparison.Ordinal);
        Assert.Contains("regressed 1", html, StringComparison.Ordinal);
        Assert.Contains("McNemar exact p = " + cmp.McNemarP.ToString("0.0000", CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        // c2: "wrong" → "right"; c0: "right" → the hostile output.
        Assert.Contains("<del>wrong</del><ins>right</ins>", html, StringComparison.Ordinal);
        Assert.Contains("<del>right</del><ins>&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("No significant regression.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_is_atomic_and_replaces_an_old_report()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "sub", "report.html");
        CompareHtmlReport.Write(path, Hostile());
        CompareHtmlReport.Write(path, Hostile());
        Assert.Equal(CompareHtmlReport.Render(Hostile()), File.ReadAllText(path));
        Assert.Equal(["report.html"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Changed_cases_past_the_cap_are_counted()
    {
        // Six regressions and no fix: McNemar p = 2/64 < 0.05.
        var cmp = RunComparison.Compute(RunComparisonTests.Run("A", _ => true, cases: 6), RunComparisonTests.Run("B", _ => false, cases: 6));
        var html = CompareHtmlReport.Render(cmp, maxCases: 2);
        Assert.Contains("… and 4 more changed cases", html, StringComparison.Ordinal);
        Assert.Contains("B regresses significantly", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Changed_cases_show_their_input_and_reference_escaped()
    {
        var a = RunComparisonTests.Run("A", i => i == 0, cases: 2);
        var b = RunComparisonTests.Run("B", i => i == 1, cases: 2);
        var input = System.Text.Json.JsonSerializer.SerializeToElement(new object[]
        {
            new { role = "system", content = "Answer <b>only</b> the label." },
            new { role = "user", content = "Is 'x' < \"y\" & z?" },
        });
        b = b with { Results = [.. b.Results.Select(r => r with { Input = input, Reference = "<i>yes</i>" })] };
        var cmp = RunComparison.Compute(a, b);
        Assert.Equal("system: Answer <b>only</b> the label.\nuser: Is 'x' < \"y\" & z?", cmp.Cases[0].Input);
        var html = CompareHtmlReport.Render(cmp);
        Assert.Contains("<th>input</th><th>reference</th>", html, StringComparison.Ordinal);
        Assert.Contains("system: Answer &lt;b&gt;only&lt;/b&gt; the label.\nuser: Is &#39;x&#39; &lt; &quot;y&quot; &amp; z?", html, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;yes&lt;/i&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>only</b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>yes</i>", html, StringComparison.Ordinal);

        // Runs recorded before inputs were kept say so instead of showing nothing.
        Assert.Contains("<i>not recorded</i>", CompareHtmlReport.Render(RunComparison.Compute(a, RunComparisonTests.Run("B", i => i == 1, cases: 2))), StringComparison.Ordinal);
    }
}
