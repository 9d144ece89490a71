using System.Text.Json;
using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Data.Tokens;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// The data check's fast way for plain chat examples (<see cref="PlainChat"/>: digest and count straight from the parsed
/// line) against its twin, the typed way (messages typed, written back as JSON and counted): the same digest, tokens and
/// findings for every line, on real tokenizers and chat templates, and the same report for a whole file.
/// </summary>
public class PlainChatTests
{
    /// <summary>Plain lines (and near misses that must take the typed way) with awkward text: escapes, empty and newline-ended contents, several system turns.</summary>
    private static readonly string[] Odd =
    [
        """{"messages":[{"role":"system","content":""},{"role":"user","content":"q\n\n"},{"role":"assistant","content":"a\n\n"}]}""",
        """{"messages":[{"role":"developer","content":"dev"},{"role":"system","content":"sys"},{"role":"user","content":"\u00e9\ud83d\ude00 \\ \" \u2028 <|im_end|> [INST]"},{"role":"assistant","content":"x"},{"role":"user","content":"again"},{"role":"assistant","content":"y\n"}]}""",
        """{"messages":[{"role":"user","content":"only a user turn"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"a trailing user turn"}]}""",
        """{"messages":[{"content":"content first","role":"user"},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"Assistant","content":"a capital role"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"user","content":"q","content":"twice"},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"tools":null}""",
        """{"messages":[{"role":"user","content":"lone \ud800 half"},{"role":"assistant","content":"a"}]}""",
        """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"   "}]}""",
    ];

    private static IEnumerable<string> Corpus() =>
        DirectTypedReadTests.Lines.Concat(Odd)
            .Concat(File.ReadLines(TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl")).Take(60))
            .Concat(CheckHelper.Filler(20));

    /// <remarks><paramref name="minPlain"/>: Gemma's template refuses system turns, so few lines count at all (the rest
    /// take the typed way, which reports the refusal).</remarks>
    [Theory]
    [InlineData("llama2/tokenizer.model", "Qwen-Qwen2.5-7B-Instruct.jinja", 40)]
    [InlineData("llama2/tokenizer.model", "meta-llama-Llama-3.1-8B-Instruct.jinja", 40)]
    [InlineData("llama2/tokenizer.model", "mistralai-Mistral-Nemo-Instruct-2407.jinja", 40)]
    [InlineData("llama2/tokenizer.model", "google-gemma-2-2b-it.jinja", 5)]
    [InlineData("llama2/tokenizer.model", "microsoft-Phi-3.5-mini-instruct.jinja", 40)]
    [InlineData("llama2/tokenizer.model", "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", 40)]
    [InlineData("llamacpp-vocab/ggml-vocab-gpt-2.gguf", "Qwen-Qwen2.5-7B-Instruct.jinja", 40)]
    public void Digest_and_findings_are_those_of_the_typed_way(string tokenizerFile, string templateFile, int minPlain)
    {
        var tokenizer = TokenizerLoader.Load(TestAssets.Path(["tokenizers", .. tokenizerFile.Split('/')]));
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", templateFile)), templateFile);
        var counter = new ChatTemplateTokenCounter(ChatEncoder.Create(tokenizer, template, templateFile), "m");
        var typed = new TypedOnly(counter);
        int plain = 0, lines = 0;
        foreach (var line in Corpus())
        {
            using var doc = JsonDocument.Parse(line);
            foreach (var kind in (ReadOnlySpan<DataKind>)[DataKind.Sft, DataKind.Rft])
            {
                lines++;
                Assert.Equal(Outcome(kind, doc.RootElement, typed), Outcome(kind, doc.RootElement, counter));
                if (PlainChat.TryDigest(doc.RootElement, 7, counter, kind == DataKind.Rft) is not null) plain++;
            }
        }
        Assert.True(plain >= minPlain, $"only {plain} of {lines} took the plain way");
        Assert.True(plain < lines - 20, $"{plain} of {lines} took the plain way: the near misses must not");
    }

    [Fact]
    public void A_check_reports_the_same_as_with_the_typed_way_only()
    {
        var counter = CheckHelper.QwenCounter();
        var lines = Corpus().Concat(Enumerable.Range(0, 300).Select(i => CheckHelper.Chat($"question {i} about {i * 7 % 23}", $"answer {i % 5}"))).ToList();
        var path = CheckHelper.Write(lines);
        string Run(ITokenCounter c) => new DataChecker(new DataCheckOptions { TokenCounter = c, Threads = 2, MaxFindingsPerCode = 1000 }).Check(path).ToJson();
        var fast = Run(counter);
        Assert.Equal(Run(new TypedOnly(counter)), fast);
        Assert.Contains("\"Examples\"", fast, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The digest and findings of one example (or the error), as text.</summary>
    private static string Outcome(DataKind kind, JsonElement root, ITokenCounter counter)
    {
        var sink = new FindingSink { Line = 7 };
        try
        {
            var digest = ExampleValidators.Validate(kind, root, sink, counter, direct: true);
            return $"{digest}\n{string.Join("\n", sink.Findings)}";
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message + "\n" + string.Join("\n", sink.Findings);
        }
    }

    /// <summary>The same counter without its JSON way: the data check types every example.</summary>
    private sealed class TypedOnly(ITokenCounter inner) : ITokenCounter
    {
        public string Name => inner.Name;

        public bool IsEstimate => inner.IsEstimate;

        public int CountText(string text) => inner.CountText(text);

        public int CountMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools) => inner.CountMessages(messages, tools);
    }
}
