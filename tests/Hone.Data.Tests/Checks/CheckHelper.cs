using System.Text;
using Hone.Data.Checks;
using Hone.Data.Tokens;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Data.Tests.Checks;

internal static class CheckHelper
{
    public const string Sys = """{"role":"system","content":"You classify."}""";

    public static string Chat(string user, string assistant) =>
        $$"""{"messages":[{{Sys}},{"role":"user","content":"{{user}}"},{"role":"assistant","content":"{{assistant}}"}]}""";

    /// <summary>Ten distinct clean chat lines, so dataset-level warnings stay quiet.</summary>
    public static IEnumerable<string> Filler(int n = 10) =>
        Enumerable.Range(0, n).Select(i => Chat($"question number {i} about topic {i * 7}", $"answer {i} is {i * 13} with detail {i}"));

    public static string Write(IEnumerable<string> lines, string name = "data.jsonl")
    {
        var path = Path.Combine(TestAssets.NewTempDir(name.Replace('.', '_')), name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    public static DataCheckReport Check(IEnumerable<string> lines, DataCheckOptions? options = null) =>
        new DataChecker(options).Check(Write(lines));

    /// <summary>A real counter: Llama 2's SentencePiece tokenizer with Qwen2.5's chat template (from ../shared).</summary>
    public static ChatTemplateTokenCounter QwenCounter()
    {
        var tokenizer = TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "Qwen-Qwen2.5-7B-Instruct.jinja")), "Qwen2.5");
        return new ChatTemplateTokenCounter(ChatEncoder.Create(tokenizer, template, "Qwen2.5"), "llama2+qwen2.5");
    }

    public static long CountOf(this DataCheckReport r, string code) => r.CountsByCode.TryGetValue(code, out var n) ? n : 0;
}
