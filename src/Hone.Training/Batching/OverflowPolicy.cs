namespace Hone.Training.Batching;

/// <summary>What training does with an example longer than the context (<c>--on-overflow</c>).</summary>
public enum OverflowPolicy
{
    /// <summary>Leave the example out, count it, and record it in run.json (the default).</summary>
    Drop,

    /// <summary>
    /// Cut tokens from the start of the earliest non-system turns so that the example fits while the trained target
    /// (the last assistant turn; a DPO pair's completions; an RFT prompt's last user turn) stays whole; when it cannot,
    /// drop the example and say why.
    /// </summary>
    Truncate,

    /// <summary>Stop before anything is written, naming each over-long example's file:line and token count.</summary>
    Fail,
}

/// <summary>Names of <see cref="OverflowPolicy"/> as the CLI and the run manifest write them.</summary>
public static class OverflowPolicies
{
    /// <summary>The option values: drop, truncate, fail.</summary>
    public static IReadOnlyList<string> Names { get; } = ["drop", "truncate", "fail"];

    /// <summary>The lower-case name of a policy.</summary>
    public static string Name(OverflowPolicy policy) => policy switch
    {
        OverflowPolicy.Drop => "drop",
        OverflowPolicy.Truncate => "truncate",
        OverflowPolicy.Fail => "fail",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown overflow policy."),
    };

    /// <summary>Parses drop, truncate or fail.</summary>
    /// <exception cref="TrainingException">Any other value.</exception>
    public static OverflowPolicy Parse(string? name) => name switch
    {
        "drop" => OverflowPolicy.Drop,
        "truncate" => OverflowPolicy.Truncate,
        "fail" => OverflowPolicy.Fail,
        _ => throw new TrainingException($"--on-overflow '{name}' is not one of drop, truncate, fail."),
    };
}
