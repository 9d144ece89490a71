using System.Globalization;

namespace Hone.Data.Checks;

/// <summary>
/// Known per-example training token limits by model (OpenAI fine-tuning limits at the time of writing);
/// <see cref="DataCheckOptions.ContextLimit"/> overrides them.
/// </summary>
public static class ContextLimits
{
    /// <summary>The limit used when no model is named: the cookbook's 16,385 (gpt-3.5-turbo).</summary>
    public const int Default = 16_385;

    /// <summary>Known limits.</summary>
    public static IReadOnlyDictionary<string, int> Known { get; } = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o-mini-2024-07-18"] = 65_536,
        ["gpt-4o-2024-08-06"] = 65_536,
        ["gpt-4.1-2025-04-14"] = 65_536,
        ["gpt-4.1-mini-2025-04-14"] = 65_536,
        ["gpt-4.1-nano-2025-04-14"] = 65_536,
        ["gpt-3.5-turbo-0125"] = 16_385,
        ["gpt-3.5-turbo-1106"] = 16_385,
    };

    /// <summary>
    /// What training does with <paramref name="count"/> examples over <paramref name="limit"/> tokens: with a local
    /// model's context or a given limit, what <c>hone train</c>'s <c>--on-overflow</c> does; otherwise (a hosted
    /// model's known or default limit) that hosted fine-tuning truncates them.
    /// </summary>
    public static string OverflowAction(int count, int limit, bool localTraining) => string.Create(CultureInfo.InvariantCulture,
        $"{count} example{(count == 1 ? "" : "s")} over the {limit:N0}-token context: ") +
        (localTraining
            ? $"hone train drops {(count == 1 ? "it" : "them")} by default (--on-overflow drop); --on-overflow truncate cuts their earliest turns and keeps the system prompt and the last assistant turn; --on-overflow fail stops naming each line"
            : "hosted fine-tuning truncates them; for hone train give --model or --context-limit to see what it does");

    /// <summary>
    /// The limit for a model: exact name, else the unique known name starting with "<paramref name="model"/>-";
    /// null when unknown.
    /// </summary>
    public static int? Find(string? model)
    {
        if (string.IsNullOrEmpty(model)) return null;
        if (Known.TryGetValue(model, out var v)) return v;
        var m = Known.Where(k => k.Key.StartsWith(model + "-", StringComparison.OrdinalIgnoreCase)).ToList();
        return m.Count == 1 ? m[0].Value : null;
    }
}
