using Hone.Evals.Specs;
using Microsoft.Extensions.Logging;

namespace Hone.Evals.Runs;

/// <summary>What an eval does with a case whose prompt does not fit the model's context.</summary>
public enum OverflowAction
{
    /// <summary>Leave the case out (status skipped): counted and reported, not in the accuracy; the run completes.</summary>
    Skip,

    /// <summary>Drop the prompt's oldest tokens so it fits (status truncated; local models only, others skip).</summary>
    TruncateStart,

    /// <summary>Count the case as a failed model call: the run is marked failed and exits 1.</summary>
    Fail,
}

/// <summary>What one eval run does: the spec, the model, and the command-line overrides. Validated once.</summary>
public sealed record EvalRunOptions
{
    /// <summary>The eval spec.</summary>
    public required EvalSpec Spec { get; init; }

    /// <summary>The model name as given (<c>provider:model</c> or <c>local:DIR</c>); recorded with the run.</summary>
    public required string Model { get; init; }

    /// <summary>Samples per case (overrides the spec).</summary>
    public int? Repeats { get; init; }

    /// <summary>Model calls in flight at once (overrides the spec).</summary>
    public int? Concurrency { get; init; }

    /// <summary>Only the first N cases of the golden set.</summary>
    public int? Limit { get; init; }

    /// <summary>Resume the newest unfinished run of the same spec, model, repeats and limit (default true).</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Serve identical requests from the run store's response cache (default true).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Retries on transient failures.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First retry delay.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Traces each model call under this OpenTelemetry source name (null, the default: not traced).</summary>
    public string? OpenTelemetrySource { get; init; }

    /// <summary>Logs each model call (null, the default: not logged).</summary>
    public ILoggerFactory? CallLogger { get; init; }

    /// <summary>What to do with a case longer than the model's context (default: skip it, with a count).</summary>
    public OverflowAction OnOverflow { get; init; } = OverflowAction.Skip;

    /// <summary>Sends each case through a prompt or chain file instead of the spec's prompt (null: the spec's prompt).</summary>
    public ICaseProgram? Program { get; init; }

    /// <summary>The effective repeats.</summary>
    public int EffectiveRepeats => Repeats ?? Spec.Repeats;

    /// <summary>The effective concurrency.</summary>
    public int EffectiveConcurrency => Concurrency ?? Spec.Concurrency;

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the option and its valid range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Spec);
        if (string.IsNullOrWhiteSpace(Model))
            throw new ArgumentException("No model: give --model provider:model (a provider of hone.yaml) or local:DIR, or 'model:' in the spec.", nameof(Model));
        if (Repeats is < 1 or > 100) throw new ArgumentException($"--repeats must be from 1 to 100; got {Repeats}.", nameof(Repeats));
        if (Concurrency is < 1 or > 64) throw new ArgumentException($"--concurrency must be from 1 to 64; got {Concurrency}.", nameof(Concurrency));
        if (Limit is < 1) throw new ArgumentException($"--limit must be at least 1; got {Limit}.", nameof(Limit));
        if (MaxRetries is < 0 or > 20) throw new ArgumentException($"retries must be from 0 to 20; got {MaxRetries}.", nameof(MaxRetries));
        if (!Enum.IsDefined(OnOverflow)) throw new ArgumentException($"--on-overflow must be skip, truncate-start or fail; got {OnOverflow}.", nameof(OnOverflow));
    }
}

/// <summary>Progress of a run: samples done of the total, and how many passed.</summary>
/// <param name="Done">Samples finished (including those reused from an interrupted run).</param>
/// <param name="Total">Samples in the run.</param>
/// <param name="Passed">Samples that passed so far.</param>
public readonly record struct EvalProgress(int Done, int Total, int Passed);
