using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

public class BuiltInTemplateTests
{
    private static ChatRenderInput Input(bool gen = false) => new()
    {
        Messages =
        [
            new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
            new JsonObject { ["role"] = "user", ["content"] = "2+2?" },
            new JsonObject { ["role"] = "assistant", ["content"] = "4", ["weight"] = 0 },
            new JsonObject { ["role"] = "user", ["content"] = "3+3?" },
            new JsonObject { ["role"] = "assistant", ["content"] = "6" },
        ],
        BosToken = "<s>",
        EosToken = "</s>",
        AddGenerationPrompt = gen,
    };

    [Theory]
    [InlineData("chatml", "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n6<|im_end|>\n", "6<|im_end|>")]
    [InlineData("llama3", "<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n6<|eot_id|>", "6<|eot_id|>")]
    [InlineData("llama2", "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n2+2? [/INST] 4 </s><s>[INST] 3+3? [/INST] 6 </s>", "6 </s>")]
    [InlineData("plain", "Be brief.\n\n### User:\n2+2?\n\n### Assistant:\n4</s>\n\n### User:\n3+3?\n\n### Assistant:\n6</s>\n\n", "6</s>")]
    public void Renders_and_marks_the_trained_turn(string name, string expected, string trained)
    {
        var r = BuiltInTemplates.Get(name).Render(Input());
        Assert.Equal(expected, r.Text);
        Assert.Equal(2, r.Spans.Count);
        Assert.False(r.Spans[0].Trained);
        Assert.Equal(2, r.Spans[0].MessageIndex);
        var t = Assert.Single(r.Spans, s => s.Trained);
        Assert.Equal(4, t.MessageIndex);
        Assert.Equal(trained, r.Text[t.Start..t.End]);
    }

    [Theory]
    [InlineData("chatml", "<|im_start|>assistant\n")]
    [InlineData("llama3", "<|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData("plain", "### Assistant:\n")]
    public void Generation_prompt_opens_the_assistant_turn(string name, string suffix) =>
        Assert.EndsWith(suffix, BuiltInTemplates.Get(name).Render(Input(gen: true)).Text, StringComparison.Ordinal);

    [Theory]
    [InlineData("ChatML")]
    [InlineData("llama-3")]
    [InlineData("")]
    public void Unknown_names_are_an_error_listing_the_names(string name)
    {
        var ex = Assert.Throws<ChatTemplateException>(() => BuiltInTemplates.Get(name));
        foreach (var n in BuiltInTemplates.Names) Assert.Contains(n, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Llama2_rejects_non_alternating_roles()
    {
        var input = new ChatRenderInput
        {
            Messages = [new JsonObject { ["role"] = "user", ["content"] = "a" }, new JsonObject { ["role"] = "user", ["content"] = "b" }],
        };
        Assert.True(Assert.Throws<ChatTemplateException>(() => BuiltInTemplates.Get("llama2").Render(input)).RaisedByTemplate);
    }
}
