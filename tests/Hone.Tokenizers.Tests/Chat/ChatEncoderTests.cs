using System.Text.Json.Nodes;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.Chat;

public class ChatEncoderTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static JsonNode[] Conversation(int? weightOfFirstAnswer = null) =>
    [
        JsonNode.Parse("""{"role":"user","content":"Tell me a story."}""")!,
        JsonNode.Parse($$"""{"role":"assistant","content":"Once upon a time"{{(weightOfFirstAnswer is { } w ? $",\"weight\":{w}" : "")}}}""")!,
        JsonNode.Parse("""{"role":"user","content":"More."}""")!,
        JsonNode.Parse("""{"role":"assistant","content":"The end."}""")!,
    ];

    /// <summary>The characters of the rendered text covered by trained tokens, in order.</summary>
    private static string TrainedText(EncodedChat chat) =>
        string.Concat(chat.Offsets.Where((_, i) => chat.Trained[i]).Select(o => chat.Text[o.Start..o.End]));

    [Fact]
    public void A_model_without_a_template_needs_one_named_explicitly()
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatEncoder.Load(Stories));
        Assert.Contains("--template", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tokenizer_beside_a_llama2c_checkpoint_is_found_and_trained_tokens_are_the_assistant_turns()
    {
        var enc = ChatEncoder.Load(Stories, builtInTemplate: "chatml");
        Assert.Equal("builtin:chatml", enc.TemplateSource);
        Assert.Equal(512, enc.Tokenizer.VocabSize);

        var chat = enc.Encode(Conversation());
        Assert.Equal(chat.Ids.Length, chat.Trained.Length);
        var trainedText = TrainedText(chat);
        Assert.Contains("Once upon a time", trainedText, StringComparison.Ordinal);
        Assert.Contains("The end.", trainedText, StringComparison.Ordinal);
        Assert.DoesNotContain("Tell me", trainedText, StringComparison.Ordinal);
        Assert.DoesNotContain("More.", trainedText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weight_zero_turn_is_not_trained()
    {
        var enc = ChatEncoder.Load(Stories, builtInTemplate: "chatml");
        var all = enc.Encode(Conversation());
        var masked = enc.Encode(Conversation(weightOfFirstAnswer: 0));
        Assert.Equal(all.Ids, masked.Ids); // same text, same tokens
        Assert.True(masked.TrainedCount < all.TrainedCount);
        var trainedText = TrainedText(masked);
        Assert.DoesNotContain("Once upon", trainedText, StringComparison.Ordinal);
        Assert.Contains("The end.", trainedText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_hf_folder_template_is_read_from_tokenizer_config()
    {
        var dir = TestAssets.NewTempDir();
        File.Copy(TestAssets.Path("models", "stories260K", "tok512.bin"), Path.Combine(dir, "tokenizer.bin"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """
            {"bos_token": "<s>", "eos_token": {"content": "</s>"},
             "chat_template": "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% if m['role'] == 'assistant' %}{{ eos_token }}{% endif %}{{ '\\n' }}{% endfor %}"}
            """);
        var enc = ChatEncoder.Load(dir);
        Assert.Equal("tokenizer_config.json", enc.TemplateSource);
        Assert.Equal("</s>", enc.EosToken);
        var chat = enc.Encode(Conversation());
        Assert.StartsWith("user: Tell me a story.\nassistant: Once upon a time</s>", chat.Text, StringComparison.Ordinal);
        Assert.Contains(2, chat.Ids.Where((_, i) => chat.Trained[i])); // </s> is parsed as the EOS id and trained
    }
}

/// <summary><see cref="ChatEncoder.CountTokens"/> is the length of <see cref="ChatEncoder.Encode"/>'s ids.</summary>
public class ChatEncoderCountTests
{
    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja")]
    public void Counting_equals_encoding_on_the_real_datasets(string templateFile)
    {
        var tok = TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", templateFile)), templateFile);
        var enc = ChatEncoder.Create(tok, template, templateFile);
        var n = 0;
        var lines = File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "toy_chat_fine_tuning.jsonl"))
            .Concat(File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")));
        foreach (var line in lines)
        {
            if (line.Length == 0) continue;
            var root = JsonNode.Parse(line)!;
            var messages = root["messages"]!.AsArray().Select(m => m!.DeepClone()).ToList();
            for (var pass = 0; pass < 2; pass++) Assert.Equal(enc.Encode(messages, root["tools"]).Ids.Length, enc.CountTokens(messages, root["tools"]));
            n++;
        }
        Assert.True(n > 100, $"{n} examples");
    }
}
