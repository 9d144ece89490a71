using Hone.Data.Model;
using Hone.Data.Tokens;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// The real token counter renders a conversation from one parsed JSON document (<see cref="ChatTemplateTokenCounter.CountMessages"/>);
/// its twin renders a node tree per message (<see cref="ChatTemplateTokenCounter.CountMessagesNaive"/>). Same count, or
/// the same error, for every shape of message and several real templates.
/// </summary>
public class TokenCounterTwinTests
{
    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja")]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja")]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja")]
    [InlineData("CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja")]
    public void Counts_from_one_document_as_from_a_node_tree_per_message(string templateFile)
    {
        var tokenizer = TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", templateFile)), templateFile);
        var counter = new ChatTemplateTokenCounter(ChatEncoder.Create(tokenizer, template, templateFile), "llama2");
        var lines = DirectTypedReadTests.Lines.Concat(File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")).Take(40))
            .Append("""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q","meta":{"a":1,"a":2}},{"role":"assistant","content":"a"}]}""")
            .Append("""{"messages":[{"role":"user","content":"n","weight":0,"x":[1.5e3,-0,12345678901234567890]},{"role":"assistant","content":"a\u0000b","weight":1}]}""");
        var counted = 0;
        foreach (var line in lines)
        {
            ChatExample e;
            try
            {
                e = OpenAiJson.ParseChat(line);
            }
            catch (DataFormatException)
            {
                continue;
            }
            var naive = Outcome(() => counter.CountMessagesNaive(e.Messages, e.Tools));
            Assert.Equal(naive, Outcome(() => counter.CountMessages(e.Messages, e.Tools)));
            if (int.TryParse(naive, out _)) counted++;
        }
        Assert.True(counted >= 5, $"only {counted} lines counted");
    }

    private static string Outcome(Func<int> count)
    {
        try
        {
            return count().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }
}
