using Hone.Models.Train;
using Hone.Training.Objectives;

namespace Hone.Training.Tests;

public class SftObjectiveTests
{
    [Fact]
    public void Loss_is_mean_nll_over_trained_tokens_and_coefficients_are_minus_one_over_n()
    {
        float[] lp = [-1.5f, -0.25f, -3f, -0.5f, -2f];
        int[] targets = [4, -1, 2, 7, -1];
        bool[] correct = [true, true, false, true, false];
        var coef = new float[5];
        var r = SftObjective.Compute(lp, targets, correct, coef);
        Assert.Equal((1.5 + 3 + 0.5) / 3, r.Loss, 12);
        Assert.Equal(3, r.Tokens);
        Assert.Equal(2, r.Correct); // the ignored position's "true" is not counted
        Assert.Equal([-1f / 3, 0f, -1f / 3, -1f / 3, 0f], coef);
    }

    [Fact]
    public void Gradient_accumulation_divides_by_the_step_token_count()
    {
        float[] lp = [-1f, -2f];
        int[] targets = [1, 1];
        var coef = new float[2];
        var r = SftObjective.Compute(lp, targets, new bool[2], coef, normalizer: 8);
        Assert.Equal(3.0 / 8, r.Loss, 12);
        Assert.Equal([-1f / 8, -1f / 8], coef);
    }

    [Fact]
    public void Coefficients_match_central_differences()
    {
        double[] lp = [-1.5, -0.25, -3, -0.5];
        int[] targets = [4, -1, 2, 7];
        var coef = new float[4];
        SftObjective.Compute(lp.Select(x => (float)x).ToArray(), targets, new bool[4], coef);
        for (int i = 0; i < lp.Length; i++)
        {
            double Loss(double delta)
            {
                var c = lp.Select(x => (float)x).ToArray();
                c[i] += (float)delta;
                return SftObjective.Compute(c, targets, new bool[4], new float[4]).Loss;
            }
            double fd = (Loss(1e-2) - Loss(-1e-2)) / 2e-2;
            Assert.Equal(fd, coef[i], 4);
        }
    }

    [Fact]
    public void Mismatched_spans_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SftObjective.Compute(new float[3], new int[2], new bool[3], new float[3]));
    }
}

public class DpoObjectiveTests
{
    private static readonly DpoPair P = new(PolicyChosen: -10, PolicyRejected: -12, ReferenceChosen: -11, ReferenceRejected: -11.5, ChosenTokens: 4);

    [Fact]
    public void Sigmoid_loss_and_gradient_match_the_closed_form()
    {
        var s = new DpoSettings(Beta: 0.5);
        var r = DpoObjective.Pair(P, s);
        double h = (-10 - -11) - (-12 - -11.5); // 1.5
        double z = 0.5 * h;
        Assert.Equal(Math.Log(1 + Math.Exp(-z)), r.Loss, 12);
        double sig = 1 / (1 + Math.Exp(z)); // σ(−z)
        Assert.Equal(-0.5 * sig, r.DChosen, 12);
        Assert.Equal(0.5 * sig, r.DRejected, 12);
        Assert.Equal(0.5 * 1, r.RewardChosen, 12);
        Assert.Equal(0.5 * -0.5, r.RewardRejected, 12);
    }

    [Fact]
    public void Ipo_and_hinge_match_the_closed_form()
    {
        var ipo = DpoObjective.Pair(P, new DpoSettings(0.25, DpoLossKind.Ipo));
        Assert.Equal((1.5 - 2) * (1.5 - 2), ipo.Loss, 12);
        Assert.Equal(2 * (1.5 - 2), ipo.DChosen, 12);

        var hinge = DpoObjective.Pair(P, new DpoSettings(0.5, DpoLossKind.Hinge));
        Assert.Equal(1 - 0.75, hinge.Loss, 12);
        Assert.Equal(-0.5, hinge.DChosen, 12);
        var satisfied = DpoObjective.Pair(P, new DpoSettings(1.0, DpoLossKind.Hinge));
        Assert.Equal(0, satisfied.Loss);
        Assert.Equal(0, satisfied.DChosen);
    }

    [Theory]
    [InlineData(DpoLossKind.Sigmoid, 0.0)]
    [InlineData(DpoLossKind.Sigmoid, 0.7)]
    [InlineData(DpoLossKind.Ipo, 0.3)]
    [InlineData(DpoLossKind.Hinge, 0.0)]
    public void Gradients_match_central_differences(DpoLossKind kind, double sftWeight)
    {
        var s = new DpoSettings(0.3, kind, sftWeight);
        var r = DpoObjective.Pair(P, s);
        const double h = 1e-5;
        double Fd(Func<double, DpoPair> at) => (DpoObjective.Pair(at(h), s).Loss - DpoObjective.Pair(at(-h), s).Loss) / (2 * h);
        // The SFT term is per token: its derivative w.r.t. the chosen SUM is −w/n, i.e. the per-token coefficient.
        Assert.Equal(Fd(d => P with { PolicyChosen = P.PolicyChosen + d }), r.DChosen + r.DChosenPerToken, 6);
        Assert.Equal(Fd(d => P with { PolicyRejected = P.PolicyRejected + d }), r.DRejected, 6);
    }

    [Fact]
    public void Batch_metrics_average_pairs_and_count_accuracy()
    {
        DpoPair[] pairs = [P, new(-5, -4, -5, -5, 2)];
        var c = new double[2];
        var rj = new double[2];
        var m = DpoObjective.Compute(pairs, new DpoSettings(0.1), c, rj);
        Assert.Equal(0.5, m.RewardAccuracy);
        Assert.Equal((0.1 * 1 + 0) / 2, m.RewardChosen, 12);
        Assert.Equal((0.1 * -0.5 + 0.1 * 1) / 2, m.RewardRejected, 12);
        Assert.Equal(m.RewardChosen - m.RewardRejected, m.RewardMargin, 12);
        Assert.Equal(DpoObjective.Pair(pairs[1], new DpoSettings(0.1)).DChosen / 2, c[1], 12);
        Assert.Contains(m.Named("train_loss"), kv => kv.Key == "rewards/accuracies" && kv.Value == 0.5);
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        Assert.Throws<TrainingException>(() => new DpoSettings(0).Validate());
        Assert.Throws<TrainingException>(() => new DpoSettings(0.1, SftWeight: -1).Validate());
    }
}

public class GrpoObjectiveTests
{
    [Fact]
    public void Advantages_are_normalised_within_groups_and_zero_variance_groups_reported()
    {
        double[] rewards = [1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5];
        var a = new double[8];
        var g = GrpoObjective.Advantages(rewards, 4, a, epsilon: 0);
        Assert.Equal(2, g.Groups);
        Assert.Equal(1, g.ZeroVarianceGroups);
        Assert.Equal(0.5, g.ZeroVarianceShare);
        Assert.Equal([1, -1, -1, 1, 0, 0, 0, 0], a);
        Assert.Equal(0.5, g.MeanReward, 12);
    }

    private static readonly float[] Lp = [-1.0f, -0.5f, -2.0f, 0f, -0.7f, -1.2f];
    private static readonly float[] Old = [-1.1f, -0.9f, -1.0f, 0f, -0.6f, -1.3f];
    private static readonly float[] Ref = [-1.2f, -0.4f, -1.5f, 0f, -0.9f, -1.0f];
    private static readonly int[] Seq = [0, 0, 0, -1, 1, 1];
    private static readonly double[] Adv = [1.0, -0.5];

    [Fact]
    public void Loss_and_coefficients_match_the_closed_form()
    {
        var s = new GrpoSettings(ClipEpsilon: 0.2, KlBeta: 0.1);
        var coef = new float[6];
        var r = GrpoObjective.Compute(Lp, Old, Ref, Seq, Adv, s, coef, new int[2]);
        double expected = 0;
        var expectedCoef = new double[6];
        for (int t = 0; t < 6; t++)
        {
            if (Seq[t] < 0) continue;
            double a = Adv[Seq[t]], n = Seq[t] == 0 ? 3 : 2;
            double ratio = Math.Exp((double)Lp[t] - Old[t]);
            double unclipped = ratio * a, clippedTerm = Math.Clamp(ratio, 0.8, 1.2) * a;
            double surrogate = Math.Min(unclipped, clippedTerm);
            double d = (double)Ref[t] - Lp[t];
            double k3 = Math.Exp(d) - d - 1;
            expected += -(surrogate - (0.1 * k3)) / n / 2;
            double dSur = unclipped <= clippedTerm ? unclipped : 0;
            expectedCoef[t] = (-dSur + (0.1 * (1 - Math.Exp(d)))) / n / 2;
        }
        Assert.Equal(expected, r.Loss, 6);
        for (int t = 0; t < 6; t++) Assert.Equal(expectedCoef[t], coef[t], 6);
        Assert.Equal(5, r.Tokens);
        Assert.True(r.ClippedShare > 0); // position 1: ratio e^0.4 > 1.2 with A > 0 is clipped
    }

    [Fact]
    public void Coefficients_match_central_differences()
    {
        var s = new GrpoSettings(ClipEpsilon: 0.2, KlBeta: 0.3);
        var coef = new float[6];
        GrpoObjective.Compute(Lp, Old, Ref, Seq, Adv, s, coef, new int[2]);
        for (int t = 0; t < 6; t++)
        {
            double Loss(float delta)
            {
                var lp = (float[])Lp.Clone();
                lp[t] += delta;
                return GrpoObjective.Compute(lp, Old, Ref, Seq, Adv, s, new float[6], new int[2]).Loss;
            }
            const float h = 1e-3f;
            Assert.Equal((Loss(h) - Loss(-h)) / (2 * h), coef[t], 3);
        }
    }

    [Fact]
    public void At_the_sampling_policy_without_kl_the_gradient_is_minus_advantage_per_token()
    {
        var coef = new float[3];
        GrpoObjective.Compute([-1f, -2f, -3f], [-1f, -2f, -3f], [-1f, -2f, -3f], [0, 0, 1], [2.0, -1.0], new GrpoSettings(KlBeta: 0), coef, new int[2]);
        Assert.Equal(-2.0 / 2 / 2, coef[0], 6);
        Assert.Equal(1.0 / 1 / 2, coef[2], 6);
    }
}
