using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>Assistant spans and loss masks on ChatML (Qwen), Llama 3, Llama 2 and Mistral style templates.</summary>
public class LossMaskTests
{
    // Qwen2.5-style ChatML with tool calls.
    private const string ChatMl = """
        {%- for message in messages %}
            {%- if message.role == "user" or message.role == "system" or (message.role == "assistant" and not message.tool_calls) %}
                {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
            {%- elif message.role == "assistant" %}
                {{- '<|im_start|>' + message.role }}
                {%- if message.content %}
                    {{- '\n' + message.content }}
                {%- endif %}
                {%- for tool_call in message.tool_calls %}
                    {%- if tool_call.function is defined %}
                        {%- set tool_call = tool_call.function %}
                    {%- endif %}
                    {{- '\n<tool_call>\n{"name": "' }}
                    {{- tool_call.name }}
                    {{- '", "arguments": ' }}
                    {{- tool_call.arguments | tojson }}
                    {{- '}\n</tool_call>' }}
                {%- endfor %}
                {{- '<|im_end|>\n' }}
            {%- elif message.role == "tool" %}
                {{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
        {%- endif %}
        """;

    // Llama 3.1-style: content trimmed, a tool call rendered as {"name": ..., "parameters": ...}.
    private const string Llama3 = """
        {{- bos_token }}
        {%- for message in messages %}
            {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
            {%- elif 'tool_calls' in message %}
                {%- set tool_call = message.tool_calls[0].function %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
                {{- '{"name": "' + tool_call.name + '", ' }}
                {{- '"parameters": ' }}
                {{- tool_call.arguments | tojson }}
                {{- "}" }}
                {{- "<|eot_id|>" }}
            {%- else %}
                {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
                {{- message.content }}
                {{- "<|eot_id|>" }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
        {%- endif %}
        """;

    // Llama 2 chat: [INST] ... [/INST], assistant turns end with " </s>".
    private const string Llama2 = """
        {%- if messages[0]['role'] == 'system' %}
            {%- set loop_messages = messages[1:] %}
            {%- set system_message = messages[0]['content'] %}
        {%- else %}
            {%- set loop_messages = messages %}
            {%- set system_message = false %}
        {%- endif %}
        {%- for message in loop_messages %}
            {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
                {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
            {%- endif %}
            {%- if loop.index0 == 0 and system_message != false %}
                {%- set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}
            {%- else %}
                {%- set content = message['content'] %}
            {%- endif %}
            {%- if message['role'] == 'user' %}
                {{- bos_token + '[INST] ' + content | trim + ' [/INST]' }}
            {%- elif message['role'] == 'assistant' %}
                {{- ' ' + content | trim + ' ' + eos_token }}
            {%- endif %}
        {%- endfor %}
        """;

    // Mistral-style: [INST]...[/INST]answer</s>, tool calls as [TOOL_CALLS][...]</s>, results as [TOOL_RESULTS].
    private const string Mistral = """
        {{- bos_token }}
        {%- for message in messages %}
            {%- if message.role == 'user' %}
                {{- '[INST] ' + message.content + '[/INST]' }}
            {%- elif message.tool_calls is defined and message.tool_calls is not none %}
                {{- '[TOOL_CALLS][' }}
                {%- for tool_call in message.tool_calls %}
                    {%- set out = tool_call.function | tojson %}
                    {{- out[:-1] + ', "id": "' + tool_call.id + '"}' }}
                    {%- if not loop.last %}{{- ', ' }}{%- else %}{{- ']' + eos_token }}{%- endif %}
                {%- endfor %}
            {%- elif message.role == 'assistant' %}
                {{- message.content + eos_token }}
            {%- elif message.role == 'tool' %}
                {{- '[TOOL_RESULTS]{"content": ' + message.content + ', "call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
            {%- endif %}
        {%- endfor %}
        """;

    private static JsonObject Msg(string role, string? content, double? weight = null)
    {
        var o = new JsonObject { ["role"] = role, ["content"] = content };
        if (weight is not null) o["weight"] = weight;
        return o;
    }

    private static JsonObject ToolCallMsg() => new()
    {
        ["role"] = "assistant",
        ["content"] = null,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["id"] = "abc123XYZ",
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = new JsonObject { ["city"] = "Paris" } },
        }),
    };

    /// <summary>System, a weight-0 greeting, a tool call, its result and the final answer.</summary>
    private static ChatRenderInput Conversation(bool withSystem = true, string eos = "</s>", string bos = "<s>")
    {
        var msgs = new List<JsonNode>();
        if (withSystem) msgs.Add(Msg("system", "Be brief."));
        msgs.Add(Msg("user", "Hi"));
        msgs.Add(Msg("assistant", "Hello!", weight: 0));
        msgs.Add(Msg("user", "Weather in Paris?"));
        msgs.Add(ToolCallMsg());
        var tool = Msg("tool", "{\"temp\": 21}");
        tool["tool_call_id"] = "abc123XYZ";
        msgs.Add(tool);
        msgs.Add(Msg("assistant", "  It is 21°C.  "));
        return new ChatRenderInput { Messages = msgs, BosToken = bos, EosToken = eos };
    }

    private static List<(int Index, string Text, bool Trained)> Spans(string template, ChatRenderInput input)
    {
        var r = ChatTemplate.Parse(template).Render(input);
        return r.Spans.Select(s => (s.MessageIndex, r.Text[s.Start..s.End], s.Trained)).ToList();
    }

    [Fact]
    public void ChatML_spans_cover_content_tool_calls_and_im_end()
    {
        var spans = Spans(ChatMl, Conversation());
        Assert.Equal(
        [
            (2, "Hello!<|im_end|>", false),
            (4, "\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>", true),
            (6, "  It is 21°C.  <|im_end|>", true),
        ], spans);
    }

    [Fact]
    public void Llama3_spans_cover_trimmed_content_and_eot()
    {
        var spans = Spans(Llama3, Conversation(bos: "<|begin_of_text|>", eos: "<|end_of_text|>"));
        Assert.Equal(
        [
            (2, "Hello!<|eot_id|>", false),
            (4, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>", true),
            (6, "It is 21°C.<|eot_id|>", true),
        ], spans);
    }

    [Fact]
    public void Llama2_spans_cover_content_and_eos_after_the_space()
    {
        var msgs = new List<JsonNode>
        {
            Msg("system", "Be brief."), Msg("user", "2+2?"), Msg("assistant", "4"), Msg("user", "And 3+3?"), Msg("assistant", "6", weight: 0),
            Msg("user", "Thanks"), Msg("assistant", " You're welcome. "),
        };
        var spans = Spans(Llama2, new ChatRenderInput { Messages = msgs, BosToken = "<s>", EosToken = "</s>" });
        Assert.Equal([(2, "4 </s>", true), (4, "6 </s>", false), (6, "You're welcome. </s>", true)], spans);
    }

    [Fact]
    public void Mistral_spans_cover_tool_call_prefix_and_eos()
    {
        var spans = Spans(Mistral, Conversation(withSystem: false));
        Assert.Equal(
        [
            (1, "Hello!</s>", false),
            (3, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abc123XYZ\"}]</s>", true),
            (5, "  It is 21°C.  </s>", true),
        ], spans);
    }

    [Fact]
    public void Generation_prompt_is_never_trained()
    {
        var input = new ChatRenderInput
        {
            Messages = [Msg("user", "Hi"), Msg("assistant", "Hello"), Msg("user", "Bye")],
            AddGenerationPrompt = true,
        };
        var r = ChatTemplate.Parse(ChatMl).Render(input);
        Assert.EndsWith("<|im_start|>assistant\n", r.Text, StringComparison.Ordinal);
        var s = Assert.Single(r.Spans);
        Assert.Equal("Hello<|im_end|>", r.Text[s.Start..s.End]);
    }

    [Fact]
    public void Content_equal_to_template_text_is_tracked_by_identity_not_by_search()
    {
        // The assistant says exactly what the user said; the span must be the assistant's copy, not the first match.
        var input = new ChatRenderInput { Messages = [Msg("user", "same"), Msg("assistant", "same")] };
        var r = ChatTemplate.Parse(ChatMl).Render(input);
        var s = Assert.Single(r.Spans);
        Assert.Equal(r.Text.LastIndexOf("same", StringComparison.Ordinal), s.Start);
    }

    [Fact]
    public void Mask_from_char_tokenizer_trains_exactly_the_span_chars()
    {
        var input = Conversation();
        var r = ChatTemplate.Parse(ChatMl).Render(input);
        var tok = new CharTokenizer();
        var (ids, offsets) = tok.EncodeWithOffsets(r.Text, addBos: true);
        var mask = LossMask.FromSpans(r.Spans, offsets);
        Assert.Equal(ids.Length, mask.Length);
        Assert.False(mask[0]); // BOS
        var trainedText = string.Concat(Enumerable.Range(0, ids.Length).Where(i => mask[i]).Select(i => r.Text[offsets[i].Start..offsets[i].End]));
        var expected = string.Concat(r.Spans.Where(s => s.Trained).Select(s => r.Text[s.Start..s.End]));
        Assert.Equal(expected, trainedText);
        Assert.Contains("It is 21°C.", trainedText, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello!", trainedText, StringComparison.Ordinal);
        Assert.DoesNotContain("Weather", trainedText, StringComparison.Ordinal);
        Assert.Equal(expected.Length, LossMask.CountTrained(mask));
    }

    [Fact]
    public void Empty_assistant_content_still_gets_its_end_marker()
    {
        var input = new ChatRenderInput { Messages = [Msg("user", "Hi"), Msg("assistant", "")] };
        var r = ChatTemplate.Parse(ChatMl).Render(input);
        var s = Assert.Single(r.Spans);
        Assert.Equal("<|im_end|>", r.Text[s.Start..s.End]);
    }

    [Fact]
    public void A_macro_that_reads_tool_calls_elsewhere_does_not_extend_the_span()
    {
        // Command R7B numbers tool results by scanning every message's tool_calls inside a macro, while rendering the
        // tool turn; that output must not be attributed to the assistant turn that made the call.
        var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Hone.Testing.TestAssets.Path("chat-templates", "golden_renders.json")))
            .RootElement.GetProperty("results");
        var index = Enumerable.Range(0, results.GetArrayLength()).Single(i =>
            results[i].GetProperty("template").GetString()!.StartsWith("CohereForAI-c4ai-command-r7b", StringComparison.Ordinal)
            && results[i].GetProperty("case").GetString() == "tools_call_and_result");
        var (template, input, _) = GoldenRenderTests.Load(index);
        var r = template.Render(input);
        var call = Assert.Single(r.Spans, s => s.MessageIndex == 1);
        var text = r.Text[call.Start..call.End];
        Assert.Contains("\"tool_name\": \"get_weather\"", text, StringComparison.Ordinal);
        Assert.EndsWith("<|END_ACTION|><|END_OF_TURN_TOKEN|>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TOOL_RESULT", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Straddling_tokens_follow_the_last_char_rule()
    {
        var spans = new[] { new AssistantSpan(1, 10, 20, true), new AssistantSpan(3, 30, 40, false) };
        (int, int)[] offsets = [(0, 0), (5, 11), (8, 10), (19, 20), (19, 21), (25, 35), (12, 12), (20, 22)];
        var mask = LossMask.FromSpans(spans, offsets);
        Assert.Equal([false, true, false, true, false, false, false, false], mask);
    }
}
