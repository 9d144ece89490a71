using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Graders.Evaluation;

/// <summary>
/// The golden-set item a response is graded against (the <c>item</c> namespace of Hone's grader templates: the reference
/// answer, the expected label, …), carried to an <see cref="IEvaluator"/> as additional context.
/// </summary>
public sealed class GoldenItemContext : EvaluationContext
{
    /// <summary>The context's name.</summary>
    public const string ContextName = "Hone golden-set item";

    /// <summary>Carries <paramref name="item"/>, normally a JSON object.</summary>
    public GoldenItemContext(JsonElement item) : base(ContextName, item.GetRawText()) => Item = item.Clone();

    /// <summary>Carries the item given as JSON text.</summary>
    /// <exception cref="JsonException"><paramref name="itemJson"/> is not JSON.</exception>
    public GoldenItemContext(string itemJson) : this(Parse(itemJson)) { }

    /// <summary>The item.</summary>
    public JsonElement Item { get; }

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
