using Hone.Training.Runs;

namespace Hone.Training.Objectives;

/// <summary>The DPO loss variants.</summary>
public enum DpoLossKind
{
    /// <summary>The DPO paper: −log σ(β·h), h = (log π/π_ref)(chosen) − (log π/π_ref)(rejected).</summary>
    Sigmoid,

    /// <summary>IPO (Azar et al.): (h − 1/(2β))², on the same h (summed log-probs).</summary>
    Ipo,

    /// <summary>Hinge (SLiC): max(0, 1 − β·h).</summary>
    Hinge,
}

/// <summary>DPO settings.</summary>
/// <param name="Beta">Strength of the implicit KL constraint; "auto" is <see cref="DefaultBeta"/>.</param>
/// <param name="Loss">Loss variant.</param>
/// <param name="SftWeight">Weight of an added SFT term on the chosen completion (mean NLL per chosen token); 0 = none.</param>
public sealed record DpoSettings(double Beta = DpoSettings.DefaultBeta, DpoLossKind Loss = DpoLossKind.Sigmoid, double SftWeight = 0)
{
    /// <summary>β when the user says "auto" (the DPO paper's and TRL's default).</summary>
    public const double DefaultBeta = 0.1;

    /// <summary>Throws <see cref="TrainingException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (!(Beta > 0) || double.IsInfinity(Beta))
            throw new TrainingException($"DPO beta must be a positive number (got {Beta}); use --beta auto for {DefaultBeta}.");
        if (!(SftWeight >= 0) || double.IsInfinity(SftWeight))
            throw new TrainingException($"DPO sft-weight must be ≥ 0 (got {SftWeight}); use 0 to switch the SFT term off.");
        if (!Enum.IsDefined(Loss)) throw new TrainingException($"DPO loss {(int)Loss} is unknown; use sigmoid, ipo or hinge.");
    }
}

/// <summary>One preference pair's sequence-level inputs: summed log-probs of each completion under policy and reference.</summary>
/// <param name="PolicyChosen">Σ log π(chosen tokens).</param>
/// <param name="PolicyRejected">Σ log π(rejected tokens).</param>
/// <param name="ReferenceChosen">Σ log π_ref(chosen tokens).</param>
/// <param name="ReferenceRejected">Σ log π_ref(rejected tokens).</param>
/// <param name="ChosenTokens">Number of scored chosen tokens (for the SFT term).</param>
public readonly record struct DpoPair(double PolicyChosen, double PolicyRejected, double ReferenceChosen, double ReferenceRejected, int ChosenTokens);

/// <summary>Loss and gradient of one pair.</summary>
/// <param name="Loss">The pair's loss (DPO term + SFT term).</param>
/// <param name="DChosen">dLoss/d(Σ log π(chosen)); the per-token coefficient of every chosen token is this value,
/// plus the SFT term's −w/n which is returned separately in <paramref name="DChosenPerToken"/>.</param>
/// <param name="DChosenPerToken">The SFT term's per-token coefficient on chosen tokens (−w/n).</param>
/// <param name="DRejected">dLoss/d(Σ log π(rejected)).</param>
/// <param name="RewardChosen">β (log π − log π_ref)(chosen).</param>
/// <param name="RewardRejected">β (log π − log π_ref)(rejected).</param>
public readonly record struct DpoPairResult(double Loss, double DChosen, double DChosenPerToken, double DRejected, double RewardChosen, double RewardRejected);

/// <summary>Batch metrics under the names the issue fixes (rewards/chosen, rewards/rejected, rewards/margins, rewards/accuracies).</summary>
public readonly record struct DpoMetrics(double Loss, double RewardChosen, double RewardRejected, double RewardMargin, double RewardAccuracy, int Pairs)
{
    /// <summary>The metrics as name/value pairs with the fixed names, prefixed (e.g. "" for train, "valid_" for validation).</summary>
    public IEnumerable<KeyValuePair<string, double>> Named(string lossName, string prefix = "")
    {
        yield return new(lossName, Loss);
        yield return new(prefix + MetricNames.RewardsChosen, RewardChosen);
        yield return new(prefix + MetricNames.RewardsRejected, RewardRejected);
        yield return new(prefix + MetricNames.RewardsMargins, RewardMargin);
        yield return new(prefix + MetricNames.RewardsAccuracies, RewardAccuracy);
    }

    /// <summary>The inverse of <see cref="Named"/>: the metrics read back by name (NaN where absent), for <paramref name="pairs"/> pairs.</summary>
    public static DpoMetrics FromNamed(Func<string, double> value, string lossName, string prefix, int pairs)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new DpoMetrics(value(lossName), value(prefix + MetricNames.RewardsChosen), value(prefix + MetricNames.RewardsRejected),
            value(prefix + MetricNames.RewardsMargins), value(prefix + MetricNames.RewardsAccuracies), pairs);
    }
}

/// <summary>
/// Direct preference optimisation as a pure function of sequence log-probabilities. The loss of a batch is the
/// mean of the pair losses; each pair's gradient is spread onto its tokens: every scored token of the chosen completion
/// gets <see cref="DpoPairResult.DChosen"/> + <see cref="DpoPairResult.DChosenPerToken"/> (divided by the pair count),
/// every scored token of the rejected one <see cref="DpoPairResult.DRejected"/>.
/// </summary>
public static class DpoObjective
{
    /// <summary>Loss, gradient and rewards of one pair (not divided by the batch size).</summary>
    public static DpoPairResult Pair(in DpoPair pair, DpoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        double beta = settings.Beta;
        double chosenRatio = pair.PolicyChosen - pair.ReferenceChosen;
        double rejectedRatio = pair.PolicyRejected - pair.ReferenceRejected;
        double h = chosenRatio - rejectedRatio;
        double loss, dh;
        switch (settings.Loss)
        {
            case DpoLossKind.Sigmoid:
                // −log σ(βh) = softplus(−βh); d/dh = −β σ(−βh).
                loss = Softplus(-beta * h);
                dh = -beta * Sigmoid(-beta * h);
                break;
            case DpoLossKind.Ipo:
                double d = h - (1.0 / (2.0 * beta));
                loss = d * d;
                dh = 2.0 * d;
                break;
            case DpoLossKind.Hinge:
                double m = 1.0 - (beta * h);
                loss = m > 0 ? m : 0;
                dh = m > 0 ? -beta : 0;
                break;
            default:
                throw new TrainingException($"DPO loss {settings.Loss} is unknown; use sigmoid, ipo or hinge.");
        }
        double perToken = 0;
        if (settings.SftWeight > 0 && pair.ChosenTokens > 0)
        {
            loss += settings.SftWeight * (-pair.PolicyChosen / pair.ChosenTokens);
            perToken = -settings.SftWeight / pair.ChosenTokens;
        }
        return new DpoPairResult(loss, dh, perToken, -dh, beta * chosenRatio, beta * rejectedRatio);
    }

    /// <summary>
    /// Mean loss over the pairs; writes each pair's per-token coefficients for its chosen and rejected tokens
    /// (already divided by the number of pairs).
    /// </summary>
    /// <param name="pairs">The pairs [P].</param>
    /// <param name="settings">β, variant, SFT weight.</param>
    /// <param name="chosenCoefficient">Output [P]: coefficient of each scored chosen token.</param>
    /// <param name="rejectedCoefficient">Output [P]: coefficient of each scored rejected token.</param>
    /// <param name="pairsInStep">Pairs of the whole optimiser step (gradient accumulation); 0 means <paramref name="pairs"/>.Length.</param>
    public static DpoMetrics Compute(ReadOnlySpan<DpoPair> pairs, DpoSettings settings, Span<double> chosenCoefficient,
        Span<double> rejectedCoefficient, int pairsInStep = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int p = pairs.Length;
        if (chosenCoefficient.Length != p || rejectedCoefficient.Length != p)
            throw new ArgumentException($"DPO objective: {p} pairs but {chosenCoefficient.Length}/{rejectedCoefficient.Length} coefficient slots.");
        if (p == 0) return default;
        int norm = pairsInStep == 0 ? p : pairsInStep;
        double loss = 0, rc = 0, rr = 0, acc = 0;
        for (int i = 0; i < p; i++)
        {
            var r = Pair(pairs[i], settings);
            loss += r.Loss;
            rc += r.RewardChosen;
            rr += r.RewardRejected;
            if (r.RewardChosen > r.RewardRejected) acc++;
            chosenCoefficient[i] = (r.DChosen + r.DChosenPerToken) / norm;
            rejectedCoefficient[i] = r.DRejected / norm;
        }
        return new DpoMetrics(loss / p, rc / p, rr / p, (rc - rr) / p, acc / p, p);
    }

    /// <summary>Numerically stable log(1 + e^x).</summary>
    internal static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    /// <summary>Numerically stable logistic function.</summary>
    internal static double Sigmoid(double x)
    {
        if (x >= 0) return 1.0 / (1.0 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1.0 + e);
    }
}
