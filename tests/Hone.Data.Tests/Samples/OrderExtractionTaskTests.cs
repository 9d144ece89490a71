using System.Text.Json;
using Hone.Data.Model;
using Hone.Data.Samples;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Samples;

public class OrderExtractionTaskTests
{
    [Fact]
    public void Generation_is_deterministic_per_seed_and_distinct()
    {
        var a = OrderExtractionTask.Generate(200, seed: 7);
        var b = OrderExtractionTask.Generate(200, seed: 7);
        var c = OrderExtractionTask.Generate(200, seed: 8);

        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(x => x.Sentence), c.Select(x => x.Sentence));
        Assert.Equal(200, a.Select(x => x.Sentence).Distinct().Count());
    }

    [Fact]
    public void Every_reference_field_appears_in_its_sentence_and_the_answer_is_json_with_fixed_keys()
    {
        foreach (var c in OrderExtractionTask.Generate(300, seed: 1))
        {
            Assert.Contains(c.Name, c.Sentence, StringComparison.Ordinal);
            Assert.Contains(c.Color, c.Sentence, StringComparison.Ordinal);
            Assert.Contains(c.City, c.Sentence, StringComparison.Ordinal);
            Assert.Contains(c.Item[..3], c.Sentence, StringComparison.Ordinal);
            Assert.InRange(c.Quantity, 1, 9);
            using var doc = JsonDocument.Parse(c.AnswerJson);
            Assert.Equal(OrderExtractionTask.Fields, doc.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(c.Quantity, doc.RootElement.GetProperty("quantity").GetInt32());
        }
    }

    [Fact]
    public void Chat_examples_carry_the_system_prompt_and_the_answer()
    {
        var c = OrderExtractionTask.Generate(1, seed: 3)[0];
        var ex = OrderExtractionTask.ToChatExample(c);
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant], ex.Messages.Select(m => m.Role));
        Assert.Equal(OrderExtractionTask.SystemPrompt, ex.Messages[0].ContentText());
        Assert.Equal(c.Sentence, ex.Messages[1].ContentText());
        Assert.Equal(c.AnswerJson, ex.Messages[2].ContentText());
    }

    [Fact]
    public void Domain_text_never_contains_the_answers()
    {
        var text = OrderExtractionTask.DomainText(500, seed: 2).ToList();
        Assert.Equal(500, text.Count);
        Assert.All(text, s => Assert.DoesNotContain("{", s, StringComparison.Ordinal));
        Assert.Equal(text, OrderExtractionTask.DomainText(500, seed: 2));
    }
}
