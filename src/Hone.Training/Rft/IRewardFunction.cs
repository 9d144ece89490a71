using System.Text.Json;

namespace Hone.Training.Rft;

/// <summary>The reward of one sampled output.</summary>
/// <param name="Reward">The reward in [0, 1] (0 when <paramref name="Error"/> is set).</param>
/// <param name="Components">Per-grader scores in [0, 1] (a <c>multi</c> grader's children; a single grader's own score).</param>
/// <param name="ParseError">The output could not be parsed as the grader requires (counts towards <c>full_valid_mean_parse_error</c>).</param>
/// <param name="Error">The grader failed on this sample (not a parse error of the output): its message, else null.</param>
public sealed record RewardResult(double Reward, IReadOnlyDictionary<string, double> Components, bool ParseError = false, string? Error = null)
{
    /// <summary>A plain reward with one component named <paramref name="name"/>.</summary>
    public static RewardResult Of(string name, double reward) => new(reward, new Dictionary<string, double> { [name] = reward });
}

/// <summary>
/// Turns a sampled output into a reward for reinforcement fine-tuning. Hone.Training does not know the evaluation
/// graders; the CLI adapts any grader (or <c>multi</c>) to this interface.
/// </summary>
public interface IRewardFunction
{
    /// <summary>Name used in metric names (<c>train_reward/NAME</c>) and findings.</summary>
    string Name { get; }

    /// <summary>Scores <paramref name="output"/>, the model's reply to the prompt of <paramref name="item"/> (the example's fields).</summary>
    ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken);
}
