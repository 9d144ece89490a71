using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Bench;

/// <summary>
/// Chat-template rendering cost per training example (parse once, render many), on a deterministic 8-turn conversation
/// with a tool call. Run: <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*ChatTemplate*'</c>.
/// </summary>
[MemoryDiagnoser]
public class ChatTemplateBench
{
    private ChatTemplate _template = null!;
    private ChatRenderInput _input = null!;

    /// <summary>Which built-in template renders.</summary>
    [Params("chatml", "llama3", "llama2")]
    public string Template { get; set; } = "chatml";

    /// <summary>Parses the template and builds the conversation once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _template = BuiltInTemplates.Get(Template);
        var messages = new List<JsonNode> { new JsonObject { ["role"] = "system", ["content"] = "You classify support tickets." } };
        for (var i = 0; i < 8; i++)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"Ticket {i}: the printer on floor {i} is jammed again, please help." });
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = $"Category: hardware. Priority: {(i % 3) + 1}. Route to facilities team {i}." });
        }
        _input = new ChatRenderInput { Messages = messages, BosToken = "<s>", EosToken = "</s>" };
    }

    /// <summary>One render with span tracking.</summary>
    [Benchmark]
    public int Render() => _template.Render(_input).Spans.Count;

    /// <summary>Parsing a template from source.</summary>
    [Benchmark]
    public string Parse() => ChatTemplate.Parse(_template.Source).Name;
}
