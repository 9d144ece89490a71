using Hone.Core;
using Hone.Evals.Providers;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Evaluation;

/// <summary>A technique's spending limits: model calls and dollars paid (cache hits are free and not counted).</summary>
/// <param name="MaxCalls">Paid calls, or null for no limit.</param>
/// <param name="MaxUsd">Dollars, or null for no limit (needs a price).</param>
public sealed record SpendLimit(long? MaxCalls = null, decimal? MaxUsd = null)
{
    /// <summary>No limit.</summary>
    public static SpendLimit None { get; } = new();

    /// <summary>True when <paramref name="ledger"/> has reached a limit.</summary>
    public bool ReachedBy(UsageLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.Calls >= MaxCalls || ledger.Cost >= MaxUsd;
    }
}

/// <summary>The spending limit was reached: the technique stopped and reports what it had.</summary>
public sealed class BudgetExhaustedException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public BudgetExhaustedException() : base(ErrorKind.Input, "the budget is spent") { }

    /// <summary>Creates the exception.</summary>
    public BudgetExhaustedException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception.</summary>
    public BudgetExhaustedException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }
}

/// <summary>
/// Budget decorator: before a call reaches the model it checks the ledger against the limit; once reached it cancels
/// the technique's token and refuses the call. It sits inside the cache, so answers already paid for are still served.
/// Calls already in flight finish, so the limit can be passed by up to the concurrency.
/// </summary>
internal sealed class BudgetLimitingChatClient(IChatClient inner, UsageLedger ledger, SpendLimit limit, CancellationTokenSource exhausted) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (limit.ReachedBy(ledger))
        {
            exhausted.Cancel();
            throw new OperationCanceledException("the budget is spent", exhausted.Token);
        }
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}
