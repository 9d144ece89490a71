using System.Text.Json;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// <see cref="ChatTemplate.RenderText(JsonElement, JsonElement?, bool, string, string)"/> renders messages and tools
/// read from JSON elements, without provenance; its twin is <see cref="ChatTemplate.RenderText(ChatRenderInput)"/> over
/// the nodes parsed from the same JSON, with provenance. Same text (or the same error) for every golden conversation of
/// every real template.
/// </summary>
public class ElementRenderTests
{
    [Theory]
    [MemberData(nameof(GoldenRenderTests.Cases), MemberType = typeof(GoldenRenderTests))]
    public void Elements_render_the_text_nodes_render(int index)
    {
        var (template, full, c) = GoldenRenderTests.Load(index);
        var input = c.GetProperty("input");
        var messages = input.GetProperty("messages");
        JsonElement? tools = input.TryGetProperty("tools", out var t) && t.ValueKind is not JsonValueKind.Null ? t : null;
        var nodes = new ChatRenderInput
        {
            Messages = full.Messages, Tools = full.Tools, AddGenerationPrompt = full.AddGenerationPrompt,
            BosToken = full.BosToken, EosToken = full.EosToken, StrftimeNow = null,
        };
        Assert.Equal(Outcome(() => template.RenderText(nodes)),
            Outcome(() => template.RenderText(messages, tools, full.AddGenerationPrompt, full.BosToken, full.EosToken)));
    }

    private static string Outcome(Func<string> render)
    {
        try
        {
            return render();
        }
        catch (ChatTemplateException e)
        {
            return "error: " + e.Message;
        }
    }
}
