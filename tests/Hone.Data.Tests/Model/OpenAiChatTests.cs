using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Model;

/// <summary>The one OpenAI chat JSON reader/writer behind data files, golden sets and the server.</summary>
public class OpenAiChatTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static string Write(ChatMessage m) => JsonSerializer.Serialize(m, OpenAiJson.Options);

    [Fact]
    public void File_only_keys_live_in_additional_properties_and_write_back_in_openai_order()
    {
        var m = OpenAiChatReader.ReadMessage(Json("""{"custom":[1],"weight":0,"content":"Hi","role":"developer","name":"ops"}"""));
        Assert.Equal("developer", m.Role.Value);
        Assert.Equal("ops", m.AuthorName);
        Assert.Equal(0, m.Weight());
        Assert.Equal(JsonValueKind.Array, Assert.IsType<JsonElement>(m.AdditionalProperties!["custom"]).ValueKind);
        Assert.Equal("""{"role":"developer","name":"ops","content":"Hi","weight":0,"custom":[1]}""", Write(m));
        Assert.Equal("""{"role":"developer","name":"ops","content":"Hi","custom":[1]}""", Write(m.WithWeight(null)));
    }

    [Fact]
    public void Arguments_are_kept_as_written_until_the_call_changes()
    {
        var m = OpenAiChatReader.ReadMessage(Json("""{"role":"assistant","tool_calls":[{"type":"function","function":{"arguments":"{ \"a\" : 1 }","name":"f","x":true},"id":"c1"}]}"""));
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(m.Contents));
        Assert.Equal(1, ((JsonElement)call.Arguments!["a"]!).GetInt32());
        Assert.Equal("""{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"a\" : 1 }","x":true}}]}""", Write(m));
        call.Arguments["a"] = 2;
        Assert.Equal("""{"a":2}""", OpenAiChatWriter.ArgumentsText(call));
    }

    [Fact]
    public void Arguments_that_are_not_a_json_object_are_kept_for_files_and_refused_for_models()
    {
        const string text = """{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{oops"}}]}""";
        var m = OpenAiChatReader.ReadMessage(Json(text));
        Assert.NotNull(m.Contents.OfType<FunctionCallContent>().Single().Exception);
        Assert.Equal(text, Write(m));
        var e = Assert.Throws<OpenAiChatException>(() => OpenAiChatReader.ReadForModel(Json(text), "messages[3]"));
        Assert.Equal("messages[3].tool_calls[0].function.arguments", e.Field);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_a_model_developer_is_system_and_only_text_calls_and_results_remain()
    {
        var dev = OpenAiChatReader.ReadForModel(Json("""{"role":"developer","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"weight":1}"""), "m");
        Assert.Equal(ChatRole.System, dev.Role);
        Assert.Equal("ab", Assert.IsType<TextContent>(Assert.Single(dev.Contents)).Text);
        Assert.Null(dev.AdditionalProperties);
        var tool = OpenAiChatReader.ReadForModel(Json("""{"role":"tool","tool_call_id":"c1","content":"42"}"""), "m");
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(tool.Contents));
        Assert.Equal(("c1", "42"), (result.CallId, (string)result.Result!));
        var e = Assert.Throws<OpenAiChatException>(() => OpenAiChatReader.ReadForModel(Json("""{"role":"wizard","content":"x"}"""), "messages[0]"));
        Assert.Equal("messages[0].role", e.Field);
    }

    [Theory]
    [InlineData("""{"role":5}""", "messages[1].role")]
    [InlineData("""{"role":"user","content":{}}""", "messages[1].content")]
    [InlineData("""{"role":"user","content":[{"type":7}]}""", "messages[1].content")]
    [InlineData("""{"role":"assistant","tool_calls":{}}""", "messages[1].tool_calls")]
    [InlineData("""{"role":"assistant","tool_calls":[{"id":"c"}]}""", "messages[1].tool_calls[0]")]
    [InlineData("""{"role":"assistant","content":"x","weight":0.5}""", "messages[1].weight")]
    public void A_field_of_the_wrong_shape_is_named(string message, string field)
    {
        var e = Assert.Throws<OpenAiChatException>(() => OpenAiChatReader.ReadMessage(Json(message), "messages[1]"));
        Assert.Equal(field, e.Field);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tools_read_as_declarations()
    {
        var tool = Assert.IsType<AIFunctionDeclaration>(Assert.Single(OpenAiChatReader.ReadTools(Json("""[{"type":"function","function":{"name":"f","description":"d"}}]"""))), exactMatch: false);
        Assert.Equal(("f", "d"), (tool.Name, tool.Description));
        Assert.Equal(JsonValueKind.Object, tool.JsonSchema.ValueKind);
        Assert.Equal("tools[0]", Assert.Throws<OpenAiChatException>(() => OpenAiChatReader.ReadTools(Json("""[{"type":"custom","function":{"name":"f"}}]"""))).Field);
    }
}
