using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Training.Rft;

namespace Hone.App.Training;

/// <summary>
/// Adapts an evaluation grader (any type, <c>multi</c> included) to the reward of reinforcement fine-tuning: the grader's
/// score in [0, 1] is the reward; a <c>multi</c> grader's children are the per-grader scores (a single grader's own score
/// otherwise); a parse error of the output is reward 0 with the parse flag set; any other grader error (a missing item
/// field, a failed command or judge call, a timeout) is a grader failure that the run records as a finding. The application
/// layer holds this adapter because Hone.Training does not reference Hone.Evals.
/// </summary>
public sealed class RewardFromGraders : IRewardFunction
{
    private readonly IGrader _grader;

    /// <summary>Wraps <paramref name="grader"/>.</summary>
    public RewardFromGraders(IGrader grader)
    {
        ArgumentNullException.ThrowIfNull(grader);
        _grader = grader;
    }

    /// <inheritdoc />
    public string Name => _grader.Name;

    /// <summary>
    /// Loads the grader of <paramref name="path"/>: OpenAI grader JSON when the file ends in <c>.json</c>, else Hone YAML
    /// (one grader; use <c>multi</c> to combine several). A bad definition is a <see cref="GraderConfigException"/> naming
    /// the file and the key.
    /// </summary>
    public static RewardFromGraders Load(string path, GraderEnvironment? env = null)
        => LoadWith(path, env);

    /// <summary><see cref="Load"/> with the default environment, as the reward a fine-tuning job loads from its grader file.</summary>
    public static IRewardFunction FromFile(string path) => LoadWith(path, null);

    private static RewardFromGraders LoadWith(string path, GraderEnvironment? env)
    {
        if (!File.Exists(path)) throw new UseCaseException($"Grader file '{path}' not found.");
        var text = File.ReadAllText(path);
        try
        {
            var grader = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? GraderFactory.FromOpenAiJson(text, env)
                : GraderFactory.FromYaml(text, env);
            return new RewardFromGraders(grader);
        }
        catch (GraderConfigException e)
        {
            throw new GraderConfigException($"{path}: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<RewardResult> ScoreAsync(string output, JsonElement item, CancellationToken cancellationToken)
    {
        GradeResult g;
        try
        {
            g = await _grader.GradeAsync(new GradeContext(item, new GradeSample(output ?? "")), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new RewardResult(0, new Dictionary<string, double>(), Error: $"{e.GetType().Name}: {e.Message}");
        }
        var components = g.Children.Count > 0
            ? g.Children.ToDictionary(c => c.Key, c => c.Value.Score)
            : new Dictionary<string, double> { [_grader.Name] = g.Score };
        return g.ErrorKind switch
        {
            GradeErrorKind.None => new RewardResult(Math.Clamp(g.Score, 0, 1), components),
            GradeErrorKind.ParseError => new RewardResult(0, components, ParseError: true),
            _ => new RewardResult(0, components, Error: $"{g.ErrorKind}: {g.Error}"),
        };
    }
}
