using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// The golden "tools_call_and_result" conversation with its tool-call arguments given as a JSON string (the OpenAI form;
/// the golden file's dict arguments make both functionary templates fail in Jinja2 too). Expected texts were rendered by
/// Jinja2 3.1.6 (MarkupSafe 3.0.3) under Hugging Face's settings, as golden_renders.json was. functionary v3.1 builds its
/// tool list as "..."|safe + plain strings + tojson text, so Jinja2 escapes the plain parts (Markup.__add__).
/// </summary>
public class ToolCallRenderTests
{
    private const string FunctionaryV31 =
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n" +
        "\n" +
        "\n" +
        "Cutting Knowledge Date: December 2023\n" +
        "\n" +
        "\n" +
        "You have access to the following functions:\n" +
        "\n" +
        "Use the function 'get_weather' to 'Get the current weather for a city.'\n" +
        "{&#34;name&#34;: &#34;get_weather&#34;, &#34;description&#34;: &#34;Get the current weather for a city.&#34;, &#34;parameters&#34;: {&#34;type&#34;: &#34;object&#34;, &#34;properties&#34;: {&#34;city&#34;: {&#34;type&#34;: &#34;string&#34;, &#34;description&#34;: &#34;City name&#34;}, &#34;unit&#34;: {&#34;type&#34;: &#34;string&#34;, &#34;enum&#34;: [&#34;celsius&#34;, &#34;fahrenheit&#34;]}}, &#34;required&#34;: [&#34;city&#34;]}}\n" +
        "\n" +
        "\n" +
        "Think very carefully before calling functions.\n" +
        "If a you choose to call a function ONLY reply in the following format:\n" +
        "<{start_tag}={function_name}>{parameters}{end_tag}\n" +
        "where\n" +
        "\n" +
        "start_tag => `<function`\n" +
        "parameters => a JSON dict with the function argument name as key and function argument value as value.\n" +
        "end_tag => `</function>`\n" +
        "\n" +
        "Here is an example,\n" +
        "<function=example_function_name>{\"example_name\": \"example_value\"}</function>\n" +
        "\n" +
        "Reminder:\n" +
        "- If looking for real time information use relevant functions before falling back to brave_search\n" +
        "- Function calls MUST follow the specified format, start with <function= and end with </function>\n" +
        "- Required parameters MUST be specified\n" +
        "- Only call one function at a time\n" +
        "- Put the entire function call reply on one line\n" +
        "\n" +
        "<|eot_id|><|start_header_id|>user<|end_header_id|>\n" +
        "\n" +
        "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n" +
        "\n" +
        "<function=get_weather>{\"city\": \"Paris\", \"unit\": \"celsius\"}</function><|eom_id|><|start_header_id|>ipython<|end_header_id|>\n" +
        "\n" +
        "{\"temp\": 21}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n" +
        "\n" +
        "It is 21°C in Paris.<|eot_id|>";

    private const string FunctionaryV32 =
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n" +
        "\n" +
        "You are capable of executing available function(s) if required.\n" +
        "Only execute function(s) when absolutely necessary.\n" +
        "Ask for the required input to:recipient==all\n" +
        "Use JSON for function arguments.\n" +
        "Respond in this format:\n" +
        ">>>${recipient}\n" +
        "${content}\n" +
        "Available functions:\n" +
        "// Supported function definitions that should be called when necessary.\n" +
        "namespace functions {\n" +
        "\n" +
        "// Get the current weather for a city.\n" +
        "type get_weather = (_: {\n" +
        "// City name.\n" +
        "city: string,\n" +
        "unit?: \"celsius\" | \"fahrenheit\",\n" +
        "}) => any;\n" +
        "\n" +
        "} // namespace functions<|eot_id|><|start_header_id|>user<|end_header_id|>\n" +
        "\n" +
        "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n" +
        "\n" +
        ">>>get_weather\n" +
        "{\"city\": \"Paris\", \"unit\": \"celsius\"}<|eot_id|><|start_header_id|>tool<|end_header_id|>\n" +
        "\n" +
        "{\"temp\": 21}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n" +
        "\n" +
        ">>>all\n" +
        "It is 21°C in Paris.<|eot_id|>";

    [Theory]
    [InlineData("meetkai-functionary-medium-v3.1.jinja", FunctionaryV31)]
    [InlineData("meetkai-functionary-medium-v3.2.jinja", FunctionaryV32)]
    public void Functionary_with_string_arguments_renders_as_jinja2(string templateName, string expected)
    {
        var (template, input) = Load(templateName, stringArguments: true);
        var actual = template.Render(input).Text;
        if (actual == expected) return;
        var i = 0;
        while (i < Math.Min(actual.Length, expected.Length) && actual[i] == expected[i]) i++;
        Assert.Fail($"{templateName}: first difference at char {i}\nexpected: {Snip(expected, i)}\nactual:   {Snip(actual, i)}");
    }

    [Fact]
    public void Deepseek_r1_tools_fail_as_in_jinja2_where_tojson_gets_a_generator()
    {
        // llama.cpp's deepseek-r1 template writes `tools | map(attribute='function') | tojson(indent=2)` on line 12; in
        // Jinja2 map returns a generator, which json.dumps refuses (the case golden_renders.json leaves out).
        var (template, input) = Load("llama-cpp-deepseek-r1.jinja", stringArguments: false);
        var ex = Assert.Throws<ChatTemplateException>(() => template.Render(input));
        Assert.Equal(12, ex.Line);
        Assert.Contains("Object of type generator is not JSON serializable", ex.Detail, StringComparison.Ordinal);
        Assert.Contains("tojson", ex.Detail, StringComparison.Ordinal);
    }

    private static (ChatTemplate Template, ChatRenderInput Input) Load(string templateName, bool stringArguments)
    {
        var golden = JsonNode.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "golden_renders.json")))!;
        var results = golden["results"]!.AsArray();
        // The conversation is the same for every template; the bos/eos tokens are the template's own.
        var inputNode = results.First(r => (string?)r!["case"] == "tools_call_and_result")!["input"]!.DeepClone();
        var c = results.First(r => (string?)r!["template"] == templateName)!;
        if (stringArguments)
            foreach (var m in inputNode["messages"]!.AsArray())
                foreach (var call in m!["tool_calls"]?.AsArray() ?? [])
                    call!["function"]!["arguments"] = PythonJsonDumps(call["function"]!["arguments"]!);
        var json = JsonDocument.Parse(inputNode.ToJsonString()).RootElement;
        var baseInput = ChatRenderInput.FromJson(json.GetProperty("messages"), json.GetProperty("tools"), json.GetProperty("add_generation_prompt").GetBoolean());
        var input = new ChatRenderInput
        {
            Messages = baseInput.Messages,
            Tools = baseInput.Tools,
            AddGenerationPrompt = baseInput.AddGenerationPrompt,
            BosToken = (string)c["bos_token"]!,
            EosToken = (string)c["eos_token"]!,
            StrftimeNow = "21 Nov 2026",
        };
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", templateName)), templateName);
        return (template, input);
    }

    /// <summary>json.dumps of a flat object of strings: {"k": "v", "k2": "v2"} (what the expected texts were made with).</summary>
    private static string PythonJsonDumps(JsonNode obj) =>
        "{" + string.Join(", ", obj.AsObject().Select(p => JsonSerializer.Serialize(p.Key) + ": " + JsonSerializer.Serialize((string?)p.Value))) + "}";

    private static string Snip(string s, int at)
    {
        var a = Math.Max(0, at - 40);
        var b = Math.Min(s.Length, at + 60);
        return JsonSerializer.Serialize(s[a..b]);
    }
}
