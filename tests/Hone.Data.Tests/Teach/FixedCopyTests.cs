using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.Data.Checks;
using Hone.Data.Teach;
using Hone.Testing;

namespace Hone.Data.Tests.Teach;

/// <summary>
/// The fixed copy of <c>hone data review --apply</c> (only the accepted answers change, with provenance; never over the
/// input; nothing written when a fix cannot apply) and the candidate screen's rule and near-duplicate reasons.
/// </summary>
public sealed class FixedCopyTests
{
    private static string Sft(string q, string a) => new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = q }, new JsonObject { ["role"] = "assistant", ["content"] = a }),
    }.ToJsonString();

    [Fact]
    public void Accepted_fixes_go_to_a_new_file_and_the_input_is_untouched()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(input, Sft("2+2", "4") + "\n" + Sft("3*4", "11") + "\n");
        var before = File.ReadAllBytes(input);
        var output = Path.Combine(dir, "fixed.jsonl");
        Assert.Equal(1, FixedCopy.Write(input, output, [new AnswerFix(2, "12", new JsonObject { ["reason"] = "3*4 is 12" })]));
        var lines = File.ReadAllLines(output);
        Assert.Equal(Sft("2+2", "4"), lines[0]);
        var fixedLine = JsonNode.Parse(lines[1])!;
        Assert.Equal("12", (string?)fixedLine["messages"]![1]!["content"]);
        Assert.Equal("3*4 is 12", (string?)fixedLine["metadata"]!["review"]!["reason"]);
        Assert.Equal(before, File.ReadAllBytes(input));

        var same = Assert.Throws<HoneException>(() => FixedCopy.Write(input, input, [new AnswerFix(2, "12")]));
        Assert.Equal(ErrorKind.Conflict, same.Kind);
        var other = Path.Combine(dir, "other.jsonl");
        var empty = Assert.Throws<HoneException>(() => FixedCopy.Write(input, other, [new AnswerFix(1, "5"), new AnswerFix(2, " ")]));
        Assert.Equal(ErrorKind.Input, empty.Kind);
        Assert.False(File.Exists(other)); // nothing written: not even the good fix
        Assert.Throws<HoneException>(() => FixedCopy.Write(input, other, [new AnswerFix(3, "5")]));
        Assert.False(File.Exists(other));
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void The_screen_names_the_broken_rule_and_the_near_duplicate()
    {
        static ScreenReference R(string name, string json) => new(name, JsonDocument.Parse(json).RootElement.Clone());
        var verdicts = ExampleScreen.Screen(
            [
                R("a", """{"messages":[{"role":"user","content":"hi"}]}"""),
                R("b", Sft("Name the capital city of France in one word please", "Paris")),
                R("c", Sft("Name the capital city of France in one word, please!", "Paris")),
                R("d", Sft("What is the tallest mountain on earth by height", "Everest")),
            ],
            [R("golden case g1", Sft("what is the tallest mountain on Earth by height?", "Everest"))], []);
        Assert.Equal([ExampleScreen.Format, null, ExampleScreen.NearDuplicate, ExampleScreen.GoldenNearDuplicate], verdicts.Select(v => v.Code));
        Assert.Equal("example_missing_assistant_message at $.messages: the example has no assistant message, so there is nothing to learn.", verdicts[0].Reason);
        Assert.StartsWith("a near-duplicate of b (Jaccard ", verdicts[2].Reason, StringComparison.Ordinal);
        Assert.StartsWith("a near-duplicate of golden case g1 (Jaccard ", verdicts[3].Reason, StringComparison.Ordinal);
    }
}
