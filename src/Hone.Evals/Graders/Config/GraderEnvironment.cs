using Microsoft.Extensions.AI;

namespace Hone.Evals.Graders.Config;

/// <summary>What grader construction needs from its host: the judge client for model graders.</summary>
public sealed record GraderEnvironment
{
    /// <summary>
    /// Returns the chat client that serves a judge model id (the grader's <c>model</c> key); null when model graders
    /// are not available, in which case configuring one is an error.
    /// </summary>
    public Func<string, IChatClient>? JudgeClient { get; init; }

    /// <summary>The client for judge model <paramref name="model"/>; a config error at <paramref name="at"/> when there is none.</summary>
    internal IChatClient Judge(string model, string at)
    {
        if (JudgeClient is null)
            throw new GraderConfigException(at, "model graders need a judge client; configure a provider for judge models (GraderEnvironment.JudgeClient).");
        return JudgeClient(model) ?? throw new GraderConfigException(at, $"no client serves the judge model '{model}'.");
    }

    /// <summary>Environment without a judge: every grader except score_model and label_model can be built.</summary>
    public static GraderEnvironment None { get; } = new();
}
