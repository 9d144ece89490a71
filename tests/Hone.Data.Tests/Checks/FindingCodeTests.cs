using Hone.Data.Checks;
using Hone.Data.Model;
using static Hone.Data.Tests.Checks.CheckHelper;

namespace Hone.Data.Tests.Checks;

/// <summary>For every finding code of the checker: a small input that triggers it and one that does not.</summary>
public class FindingCodeTests
{
    private const string Tools = """ "tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object"}}}] """;

    private static string Call(string name = "get", string args = "{}", string id = "c1", string type = "\"type\":\"function\",") =>
        $$$"""{"id":"{{{id}}}",{{{type}}}"function":{"name":"{{{name}}}","arguments":"{{{args}}}"}}""";

    private static string WithTools(string messages) => $$"""{"messages":[{{Sys}},{{messages}}],{{Tools}}}""";

    private const string U = """{"role":"user","content":"weather?"}""";
    private const string A = """{"role":"assistant","content":"Sunny."}""";

    private static string Dpo(int i, string preferred = "good", string rejected = "bad", string role = "assistant") =>
        $$"""{"input":{"messages":[{{Sys}},{"role":"user","content":"prompt {{i}}"}]},"preferred_output":[{"role":"{{role}}","content":"{{preferred}} {{i}}"}],"non_preferred_output":[{"role":"assistant","content":"{{rejected}} {{i}}"}]}""";

    private static string Rft(int i, string tail = "") =>
        $$"""{"messages":[{{Sys}},{"role":"user","content":"task {{i}}"}{{tail}}],"reference_answer":"{{i}}"}""";

    public static TheoryData<string, string[], string[], DataKind?> Cases() => new()
    {
        // Line level.
        { FindingCodes.InvalidUnicodeEscape, [Chat("lone \\ud800 high", "a"), $$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":"x","\udfff":1}]}"""], [Chat("pair \\ud83d\\ude00", "a")], null },

        // The cookbook's names.
        { FindingCodes.DataType, ["[1,2]"], [Chat("q", "a")], null },
        { FindingCodes.DataType, ["""{"messages":["hi",{"role":"assistant","content":"a"}]}"""], [Chat("q", "a")], null },
        { FindingCodes.MissingMessagesList, ["""{"messages":[]}""", """{"text":"x"}"""], [Chat("q", "a")], null },
        { FindingCodes.MessageMissingKey, [$$"""{"messages":[{{Sys}},{"role":"user"},{{A}}]}"""], [Chat("q", "a")], null },
        { FindingCodes.MessageMissingKey, [$$"""{"messages":[{{Sys}},{"content":"hi"},{{A}}]}"""], [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]}""")], null },
        { FindingCodes.MessageUnrecognizedKey, [$$"""{"messages":[{{Sys}},{"role":"user","content":"q","lang":"en"},{{A}}]}"""], [$$"""{"messages":[{{Sys}},{"role":"user","name":"ann","content":"q"},{{A}}]}"""], null },
        { FindingCodes.UnrecognizedRole, [$$"""{"messages":[{{Sys}},{"role":"bot","content":"q"},{{A}}]}"""], [$$"""{"messages":[{"role":"developer","content":"d"},{{U}},{{A}}]}"""], null },
        { FindingCodes.MissingContent, [$$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":""}]}""", $$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":7}]}"""],
            [$$"""{"messages":[{{Sys}},{"role":"user","content":[{"type":"text","text":"q"}]},{{A}}]}"""], null },
        { FindingCodes.ExampleMissingAssistantMessage, [$$"""{"messages":[{{Sys}},{{U}}]}"""], [Chat("q", "a")], DataKind.Sft },

        // Tools and weights.
        { FindingCodes.UnansweredToolCall, [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]},{{U}},{{A}}""")],
            [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]},{"role":"tool","tool_call_id":"c1","content":"20C"},{{A}}"""),
             WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]}""")], null },
        { FindingCodes.UnknownToolCallId, [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]},{"role":"tool","tool_call_id":"c9","content":"20C"},{{A}}""")],
            [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]},{"role":"tool","tool_call_id":"c1","content":"20C"},{{A}}""")], null },
        { FindingCodes.ToolArgumentsInvalidJson, [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call(args: "{city:")}}]}""")],
            [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call(args: "{\\\"city\\\":\\\"Oslo\\\"}")}}]}""")], null },
        { FindingCodes.UnknownFunction, [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call(name: "delete_all")}}]}""")],
            [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]}""")], null },
        { FindingCodes.MalformedToolCall, [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call(type: "")}}]}"""), WithTools($$"""{{U}},{"role":"assistant","tool_calls":[]}""")],
            [WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call()}}]}""")], null },
        { FindingCodes.InvalidWeight, [$$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":"a","weight":2}]}""", $$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":"a","weight":"1"}]}"""],
            [$$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":"a","weight":0},{{U}},{"role":"assistant","content":"b","weight":1}]}"""], null },
        { FindingCodes.WeightOnNonAssistant, [$$"""{"messages":[{{Sys}},{"role":"user","content":"q","weight":1},{{A}}]}"""],
            [$$"""{"messages":[{{Sys}},{{U}},{"role":"assistant","content":"a","weight":1}]}"""], null },

        // Kinds.
        { FindingCodes.PreferenceMissingInput, ["""{"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"""], [Dpo(100)], DataKind.Dpo },
        { FindingCodes.PreferenceMissingOutput, [$$"""{"input":{"messages":[{{Sys}},{{U}}]},"preferred_output":[{"role":"assistant","content":"a"}]}"""], [Dpo(100)], DataKind.Dpo },
        { FindingCodes.PreferenceOutputNotAssistant, [Dpo(100, role: "user")], [Dpo(100)], DataKind.Dpo },
        { FindingCodes.PreferenceOutputsIdentical, [Dpo(100, preferred: "same", rejected: "same")], [Dpo(100, preferred: "same", rejected: "other")], DataKind.Dpo },
        { FindingCodes.RftNotEndingWithUser, [Rft(100, """,{"role":"assistant","content":"x"}""")], [Rft(100)], DataKind.Rft },
        { FindingCodes.MissingPromptOrCompletion, ["""{"prompt":"p 100"}""", """{"prompt":"p 101","completion":3}"""], ["""{"prompt":"p 100","completion":" c"}"""], DataKind.PromptCompletion },

        // Cookbook warnings.
        { FindingCodes.MissingSystemMessage, [$$"""{"messages":[{{U}},{{A}}]}"""], [Chat("q", "a")], null },
        { FindingCodes.MissingUserMessage, [$$"""{"messages":[{{Sys}},{{A}}]}"""], [Chat("q", "a")], null },

        // Dataset level.
        { FindingCodes.DuplicateExample, [Chat("Question  number 0 about topic 0", "ANSWER 0 is 0 with detail 0")], [Chat("question number 0 about topic 1", "answer 0 is 0 with detail 0")], null },
        { FindingCodes.Contradiction, [Chat("question number 3 about topic 21", "a different answer")], [Chat("question number 3 about topic 21", "answer 3 is 39 with detail 3")], null },
        { FindingCodes.InconsistentSystemPrompts, ["""{"messages":[{"role":"system","content":"You are a pirate."},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"""], [Chat("q", "a")], null },
    };

    private static IEnumerable<string> FillerFor(DataKind? kind) => kind switch
    {
        DataKind.Dpo => Enumerable.Range(0, 10).Select(i => Dpo(i)),
        DataKind.Rft => Enumerable.Range(0, 10).Select(i => Rft(i)),
        DataKind.PromptCompletion => Enumerable.Range(0, 10).Select(i => $$"""{"prompt":"prompt {{i}} ->","completion":" completion {{i}}"}"""),
        _ => Filler(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Code_is_reported_for_the_bad_input_and_not_for_the_good_one(string code, string[] bad, string[] good, DataKind? kind)
    {
        var options = new DataCheckOptions { Kind = kind };
        var badReport = Check([.. FillerFor(kind), .. bad], options);
        Assert.True(badReport.CountOf(code) >= bad.Length, $"{code} expected for:\n{string.Join("\n", bad)}\ngot: {string.Join("\n", badReport.Findings)}");
        var listed = badReport.Findings.Where(f => f.Code == code).ToList();
        Assert.All(listed, f => Assert.True(f.Line is null || f.Line > 10, $"finding on a filler line: {f}"));
        Assert.All(listed, f => Assert.False(string.IsNullOrWhiteSpace(f.Fix)));

        var goodReport = Check([.. FillerFor(kind), .. good], options);
        Assert.True(goodReport.CountOf(code) == 0, $"{code} not expected for:\n{string.Join("\n", good)}\ngot: {string.Join("\n", goodReport.Findings)}");
    }

    [Fact]
    public void Paths_point_at_the_offending_value()
    {
        var r = Check([.. Filler(), WithTools($$"""{{U}},{"role":"assistant","tool_calls":[{{Call(args: "{x")}}]}""")]);
        var f = Assert.Single(r.Findings, f => f.Code == FindingCodes.ToolArgumentsInvalidJson);
        Assert.Equal("$.messages[2].tool_calls[0].function.arguments", f.Path);
        Assert.Equal(11, f.Line);
    }
}
