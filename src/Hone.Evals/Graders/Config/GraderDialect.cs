namespace Hone.Evals.Graders.Config;

/// <summary>Which configuration vocabulary a grader definition uses.</summary>
public enum GraderDialect
{
    /// <summary>Hone's YAML shape: OpenAI's grader types and keys plus Hone's own types; <c>name</c> optional.</summary>
    Hone,

    /// <summary>OpenAI's grader JSON: only OpenAI's types and keys; <c>name</c> required.</summary>
    OpenAi,
}
