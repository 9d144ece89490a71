using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// With real token counts, an example the model's chat template refuses is an error finding on its line
/// (<see cref="FindingCodes.TemplateRenderFailed"/>), not the end of the check: the oracle is the counter itself, called
/// on each line alone.
/// </summary>
public class TemplateRenderFindingTests
{
    private static readonly string[] Candidates =
    [
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","name":"bot","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"r"},{"role":"assistant","content":"ok"}],"tools":[{"type":"function","function":{"name":"f"}}]}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}]}""",
        """{"messages":[{"role":"user","content":"w?"},{"role":"assistant","function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"r"},{"role":"assistant","content":"ok"}],"functions":[{"name":"f"}]}""",
        """{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"http://x/y.png"}}]},{"role":"assistant","content":"b"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\": 1}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"assistant","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}""",
    ];

    [Fact]
    public void A_refused_example_is_a_finding_on_its_line_and_the_others_are_counted()
    {
        var counter = CheckHelper.QwenCounter();
        var lines = CheckHelper.Filler().Concat(Candidates).ToList();
        var refused = new HashSet<long>();
        for (int i = 0; i < lines.Count; i++)
        {
            var e = OpenAiJson.ParseChat(lines[i]);
            try
            {
                counter.CountMessages(e.Messages, e.Tools);
            }
            catch (ChatTemplateException)
            {
                refused.Add(i + 1);
            }
        }

        Assert.NotEmpty(refused);
        Assert.True(refused.Count < Candidates.Length, "some candidates must render");
        foreach (int threads in new[] { 1, 2 })
        {
            var report = CheckHelper.Check(lines, new DataCheckOptions { TokenCounter = counter, Threads = threads });
            var found = report.Findings.Where(f => f.Code == FindingCodes.TemplateRenderFailed).ToList();
            Assert.Equal(refused.Order().ToList(), found.Select(f => f.Line ?? 0).Order().ToList());
            Assert.All(found, f =>
            {
                Assert.Equal(FindingSeverity.Error, f.Severity);
                Assert.Contains("Qwen2.5", f.Message, StringComparison.Ordinal);
            });
        }
    }
}
