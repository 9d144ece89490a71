using Hone.Models.Llama;
using Hone.Reference.Tests.Reference;

namespace Hone.Reference.Tests.Autodiff;

/// <summary>
/// Each operation of the reference tape on its own: the backward written from its definition equals central finite
/// differences of its forward at every coordinate of every input, for L = Σ c·op(inputs) with random weights c.
/// </summary>
public sealed class TapeTests
{
    private static readonly Random Rng = new(17);

    private static DTensor Random(params int[] shape)
    {
        var v = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (Rng.NextDouble() * 2) - 1;
        }

        return DTensor.Parameter(v, shape);
    }

    /// <summary>Tape gradients of Σ c·op(inputs) against central differences at every input coordinate.</summary>
    private static void Check(Func<Tape, DTensor[], DTensor> op, params DTensor[] inputs)
    {
        double[]? c = null;
        double Loss(Tape tape)
        {
            var y = op(tape, inputs);
            c ??= Enumerable.Range(0, y.Length).Select(_ => (Rng.NextDouble() * 2) - 1).ToArray();
            var l = tape.WeightedSum(y, c);
            if (tape.Recorded > 0)
            {
                tape.Backward(l);
            }

            return l.Value[0];
        }

        Loss(new Tape());
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            var analytic = (double[])x.Grad.Clone();
            Assert.Contains(analytic, g => g != 0);
            for (int i = 0; i < x.Length; i++)
            {
                double orig = x.Value[i], h = 1e-6;
                x.Value[i] = orig + h;
                double up = Evaluate(op, inputs, c!);
                x.Value[i] = orig - h;
                double down = Evaluate(op, inputs, c!);
                x.Value[i] = orig;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - analytic[i]) < 1e-7 * (1 + Math.Abs(fd)), $"input {k} [{i}]: tape {analytic[i]}, finite differences {fd}");
            }
        }
    }

    private static double Evaluate(Func<Tape, DTensor[], DTensor> op, DTensor[] inputs, double[] c)
    {
        var constants = inputs.Select(x => DTensor.Constant(x.Value, x.Shape)).ToArray();
        var tape = new Tape();
        return tape.WeightedSum(op(tape, constants), c).Value[0];
    }

    [Fact]
    public void Element_wise_operations()
    {
        Check((t, x) => t.Add(x[0], x[1]), Random(3, 4), Random(3, 4));
        Check((t, x) => t.Sub(x[0], x[1]), Random(3, 4), Random(3, 4));
        Check((t, x) => t.Mul(x[0], x[1]), Random(3, 4), Random(3, 4));
        Check((t, x) => t.Mul(x[0], x[0]), Random(5)); // one tensor used twice accumulates both uses
        Check((t, x) => t.Scale(x[0], -2.5), Random(6));
        Check((t, x) => t.Silu(t.Scale(x[0], 4)), Random(7));
        Check((t, x) => t.Softplus(t.Scale(x[0], 30)), Random(7)); // both branches, large |x|
        Check((t, x) => t.Reshape(t.Silu(x[0]), 4, 3), Random(2, 6));
    }

    [Fact]
    public void Linear_maps_embedding_and_rms_norm()
    {
        Check((t, x) => t.MatMulT(x[0], x[1]), Random(3, 5), Random(4, 5));
        Check((t, x) => t.AddBias(x[0], x[1]), Random(3, 4), Random(4));
        Check((t, x) => t.Embedding(x[0], [2, 0, 2, 4]), Random(5, 3)); // a repeated id gathers twice
        Check((t, x) => t.RmsNorm(x[0], x[1], 1e-5), Random(3, 6), Random(6));
        Check((t, x) => t.RmsNorm(x[0], x[1], 0.5), Random(2, 4), Random(4)); // a large ε, so that it shows
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rope_in_both_layouts(bool interleaved) =>
        Check((t, x) => t.Rope(x[0], 2, [0, 3, 7], [1.0, 0.3, 0.05], interleaved), Random(3, 12));

    [Fact]
    public void Attention_with_grouped_heads_and_a_window()
    {
        bool Window(int t, int j) => j <= t && t - j < 2;
        Check((t, x) => t.AttentionScores(x[0], x[1], heads: 4, kvHeads: 2), Random(3, 8), Random(3, 4));
        Check((t, x) => t.MaskedSoftmax(t.Scale(x[0], 3), Window), Random(2, 4, 4));
        Check((t, x) => t.AttendValues(t.MaskedSoftmax(x[0], Window), x[1], kvHeads: 1), Random(2, 4, 4), Random(4, 3));
        Check((t, x) => t.TargetLogProbs(t.Scale(x[0], 3), [2, -1, 0]), Random(3, 5)); // the ignored row gets nothing
    }

    [Fact]
    public void Llama3_rope_scaling_keeps_high_smooths_middle_and_divides_low_frequencies()
    {
        var c = new LlamaConfig
        {
            Dim = 16, HiddenDim = 16, Layers = 1, Heads = 2, KvHeads = 1, HeadDim = 8, VocabSize = 4, MaxSeqLen = 8,
            RopeTheta = 500_000, RopeScaling = new Llama3RopeScaling(8, 1, 4, 256),
        };
        var plain = ReferenceDecoder.RopeFrequencies(c with { RopeScaling = null });
        var scaled = ReferenceDecoder.RopeFrequencies(c);
        Assert.Equal(Math.Pow(500_000, -0.25), plain[1], 12);
        Assert.Equal(plain[0], scaled[0]); // wavelength 2π < 256/4
        double smooth = ((256 / (2 * Math.PI / plain[1])) - 1) / 3; // wavelength 167 in [64, 256]
        Assert.Equal(((1 - smooth) * plain[1] / 8) + (smooth * plain[1]), scaled[1], 15);
        Assert.True(scaled[1] < plain[1] && scaled[1] > plain[1] / 8);
        Assert.Equal(plain[2] / 8, scaled[2], 15);
        Assert.Equal(plain[3] / 8, scaled[3], 15);
    }
}
