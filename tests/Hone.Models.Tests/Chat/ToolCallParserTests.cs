using System.Text.Json;
using Hone.Models.Chat;

namespace Hone.Models.Tests.Chat;

public class ToolCallParserTests
{
    private static readonly string[] Names = ["get_weather", "set_alarm"];

    private static string Arg(Microsoft.Extensions.AI.FunctionCallContent c, string key) => ((JsonElement)c.Arguments![key]!).ToString();

    [Fact]
    public void Hermes_TwoCallsAndText()
    {
        var output = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>\n" +
                     "<tool_call>{\"name\": \"set_alarm\", \"arguments\": {\"time\": \"07:00\"}}</tool_call>";
        var p = ToolCallParser.Parse(output, Names);
        Assert.Equal("Let me check.", p.Text);
        Assert.Equal(2, p.Calls.Count);
        Assert.Equal("get_weather", p.Calls[0].Name);
        Assert.Equal("Paris", Arg(p.Calls[0], "city"));
        Assert.Equal("2", Arg(p.Calls[0], "days"));
        Assert.Equal("set_alarm", p.Calls[1].Name);
        Assert.NotEqual(p.Calls[0].CallId, p.Calls[1].CallId);
    }

    [Fact]
    public void Hermes_UnknownToolStaysText_MalformedJsonCarriesTheError()
    {
        var unknown = ToolCallParser.Parse("<tool_call>{\"name\": \"launch\", \"arguments\": {}}</tool_call>", Names);
        Assert.Empty(unknown.Calls);
        Assert.Contains("launch", unknown.Text, StringComparison.Ordinal);

        var broken = ToolCallParser.Parse("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": }</tool_call>", Names);
        var call = Assert.Single(broken.Calls);
        Assert.NotNull(call.Exception);
        Assert.Contains("\"city\"", (string)call.Arguments!["_raw"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void Llama3Json_ParametersAndPythonTag()
    {
        var plain = ToolCallParser.Parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", Names);
        Assert.Equal("Oslo", Arg(Assert.Single(plain.Calls), "city"));
        Assert.Equal("", plain.Text);

        var tagged = ToolCallParser.Parse("<|python_tag|>{\"name\": \"set_alarm\", \"parameters\": {\"time\": \"6\"}}; {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}", Names);
        Assert.Equal(["set_alarm", "get_weather"], tagged.Calls.Select(c => c.Name));
    }

    [Fact]
    public void MistralArray_AndStringArguments()
    {
        var p = ToolCallParser.Parse("[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Lima\\\"}\"}]", Names);
        Assert.Equal("Lima", Arg(Assert.Single(p.Calls), "city"));
    }

    [Theory]
    [InlineData("Once upon a time there was a dog.")]
    [InlineData("{\"answer\": 42}")]
    [InlineData("{\"name\": \"unknown_tool\", \"parameters\": {}}")]
    [InlineData("[1, 2, 3]")]
    public void PlainTextOrOtherJson_IsNotACall(string output)
    {
        var p = ToolCallParser.Parse(output, Names);
        Assert.Empty(p.Calls);
        Assert.Equal(output, p.Text);
    }
}
