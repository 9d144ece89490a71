namespace Hone.Training.Objectives;

/// <summary>GRPO settings.</summary>
/// <param name="ClipEpsilon">ε of the clipped policy ratio: the ratio is held in [1 − ε, 1 + ε].</param>
/// <param name="KlBeta">Weight of the KL penalty to the reference (k3 estimator); 0 = none.</param>
/// <param name="AdvantageEpsilon">Added to the group's standard deviation before dividing.</param>
public sealed record GrpoSettings(double ClipEpsilon = 0.2, double KlBeta = 0.04, double AdvantageEpsilon = 1e-4)
{
    /// <summary>Throws <see cref="TrainingException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (!(ClipEpsilon > 0 && ClipEpsilon < 1)) throw new TrainingException($"GRPO clip epsilon must lie in (0, 1) (got {ClipEpsilon}); 0.2 is usual.");
        if (!(KlBeta >= 0) || double.IsInfinity(KlBeta)) throw new TrainingException($"GRPO KL weight must be ≥ 0 (got {KlBeta}); --kl 0 switches it off.");
        if (!(AdvantageEpsilon > 0)) throw new TrainingException($"GRPO advantage epsilon must be > 0 (got {AdvantageEpsilon}).");
    }
}

/// <summary>Result of normalising rewards within groups.</summary>
/// <param name="Groups">Groups seen.</param>
/// <param name="ZeroVarianceGroups">Groups whose rewards were all equal (advantages 0: no signal).</param>
/// <param name="MeanReward">Mean reward over all samples.</param>
public readonly record struct GroupAdvantages(int Groups, int ZeroVarianceGroups, double MeanReward)
{
    /// <summary>Share of groups with zero reward variance.</summary>
    public double ZeroVarianceShare => Groups == 0 ? 0 : (double)ZeroVarianceGroups / Groups;
}

/// <summary>Loss and diagnostics of one GRPO batch.</summary>
/// <param name="Loss">Mean over sequences of the per-token mean of −(clipped surrogate − β·KL).</param>
/// <param name="MeanKl">Mean over sequences of the per-token mean k3 KL estimate.</param>
/// <param name="ClippedShare">Share of scored tokens whose clipped term was the active one.</param>
/// <param name="Tokens">Scored tokens.</param>
public readonly record struct GrpoLoss(double Loss, double MeanKl, double ClippedShare, int Tokens);

/// <summary>
/// Group-relative policy optimisation (DeepSeekMath) as a pure function of per-token log-probabilities. Advantages are
/// the rewards normalised within each group of G samples of one prompt, A_i = (r_i − mean) / (std + ε). Per token t of
/// sequence i, with ρ = exp(log π − log π_old): the surrogate is min(ρA_i, clip(ρ, 1−ε, 1+ε)A_i) and the KL penalty the k3
/// estimator exp(log π_ref − log π) − (log π_ref − log π) − 1. The loss is
/// L = (1/S) Σ_i (1/|o_i|) Σ_t −(surrogate − β·KL), and the coefficient dL/d log π(t) is
/// (1/(S|o_i|)) (−ρA_i·[unclipped term active] + β(1 − exp(log π_ref − log π))).
/// </summary>
public static class GrpoObjective
{
    /// <summary>
    /// Normalises <paramref name="rewards"/> within consecutive groups of <paramref name="groupSize"/> (population
    /// standard deviation). A group whose rewards are all equal gets advantages 0 and is counted as zero-variance.
    /// </summary>
    public static GroupAdvantages Advantages(ReadOnlySpan<double> rewards, int groupSize, Span<double> advantages, double epsilon = 1e-4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        if (rewards.Length % groupSize != 0)
            throw new ArgumentException($"GRPO: {rewards.Length} rewards do not split into groups of {groupSize}.");
        if (advantages.Length != rewards.Length) throw new ArgumentException("GRPO: advantages and rewards differ in length.");
        int groups = rewards.Length / groupSize, zero = 0;
        double total = 0;
        for (int g = 0; g < groups; g++)
        {
            var r = rewards.Slice(g * groupSize, groupSize);
            var a = advantages.Slice(g * groupSize, groupSize);
            double mean = 0;
            foreach (var x in r) mean += x;
            total += mean;
            mean /= groupSize;
            double variance = 0;
            bool allEqual = true;
            foreach (var x in r)
            {
                variance += (x - mean) * (x - mean);
                if (x != r[0]) allEqual = false;
            }
            double std = Math.Sqrt(variance / groupSize);
            if (allEqual)
            {
                zero++;
                a.Clear();
                continue;
            }
            for (int i = 0; i < groupSize; i++) a[i] = (r[i] - mean) / (std + epsilon);
        }
        return new GroupAdvantages(groups, zero, rewards.Length == 0 ? 0 : total / rewards.Length);
    }

    /// <summary>
    /// Computes the loss and writes per-position coefficients.
    /// </summary>
    /// <param name="logProbs">log π(target) under the current policy [positions].</param>
    /// <param name="oldLogProbs">log π_old(target) under the policy that sampled [positions].</param>
    /// <param name="referenceLogProbs">log π_ref(target) [positions].</param>
    /// <param name="sequenceOf">Per position, the index of its sampled sequence, or −1 when not scored [positions].</param>
    /// <param name="advantages">Per sequence, its advantage [S].</param>
    /// <param name="settings">ε and β.</param>
    /// <param name="coefficients">Output dL/d log π(target) [positions].</param>
    /// <param name="tokenCounts">Scratch [S]: receives each sequence's scored token count.</param>
    /// <param name="sequencesInStep">Sequences of the whole optimiser step (gradient accumulation); 0 means S.</param>
    public static GrpoLoss Compute(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> referenceLogProbs,
        ReadOnlySpan<int> sequenceOf, ReadOnlySpan<double> advantages, GrpoSettings settings, Span<float> coefficients,
        Span<int> tokenCounts, int sequencesInStep = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int n = logProbs.Length, s = advantages.Length;
        if (oldLogProbs.Length != n || referenceLogProbs.Length != n || sequenceOf.Length != n || coefficients.Length != n)
            throw new ArgumentException($"GRPO objective: per-position spans differ in length ({n}).");
        if (tokenCounts.Length != s) throw new ArgumentException($"GRPO objective: {s} advantages but {tokenCounts.Length} token-count slots.");
        tokenCounts.Clear();
        for (int t = 0; t < n; t++)
        {
            int q = sequenceOf[t];
            if (q < 0) continue;
            if (q >= s) throw new ArgumentException($"GRPO objective: position {t} names sequence {q} but there are {s}.");
            tokenCounts[q]++;
        }
        int seqNorm = sequencesInStep == 0 ? s : sequencesInStep;
        double eps = settings.ClipEpsilon, beta = settings.KlBeta;
        double loss = 0, kl = 0;
        int tokens = 0, clipped = 0;
        for (int t = 0; t < n; t++)
        {
            int q = sequenceOf[t];
            if (q < 0)
            {
                coefficients[t] = 0;
                continue;
            }
            tokens++;
            double a = advantages[q];
            double lp = logProbs[t];
            double ratio = Math.Exp(lp - oldLogProbs[t]);
            double clippedRatio = Math.Clamp(ratio, 1 - eps, 1 + eps);
            double unclippedTerm = ratio * a, clippedTerm = clippedRatio * a;
            double surrogate, dSurrogate;
            if (unclippedTerm <= clippedTerm)
            {
                surrogate = unclippedTerm;
                dSurrogate = unclippedTerm;
            }
            else
            {
                surrogate = clippedTerm;
                dSurrogate = 0;
                clipped++;
            }
            double diff = referenceLogProbs[t] - lp;
            double e = Math.Exp(diff);
            double k3 = e - diff - 1;
            double w = 1.0 / tokenCounts[q];
            loss += w * -(surrogate - (beta * k3));
            kl += w * k3;
            coefficients[t] = (float)(w / seqNorm * (-dSurrogate + (beta * (1 - e))));
        }
        return s == 0 ? default : new GrpoLoss(loss / s, kl / s, tokens == 0 ? 0 : (double)clipped / tokens, tokens);
    }
}
