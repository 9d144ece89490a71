using Hone.Reference.Tests.Autodiff;

namespace Hone.Reference.Tests.Reference;

/// <summary>
/// One token sequence and which of its tokens are trained (the chat template's loss mask). Position t predicts token
/// t+1, so it has a target exactly when token t+1 is trained.
/// </summary>
internal sealed record ReferenceSequence(int[] Ids, bool[] Trained)
{
    /// <summary>Per position, the next token when it is trained, else −1.</summary>
    public int[] Targets()
    {
        var targets = new int[Ids.Length];
        for (int t = 0; t < Ids.Length; t++)
        {
            targets[t] = t + 1 < Ids.Length && Trained[t + 1] ? Ids[t + 1] : -1;
        }

        return targets;
    }

    /// <summary>Positions with a target.</summary>
    public int TargetCount => Targets().Count(t => t >= 0);
}

/// <summary>The training objectives written from their definitions over the reference decoder.</summary>
internal static class ReferenceObjectives
{
    /// <summary>
    /// SFT: the mean negative log-likelihood of the trained tokens of all examples of one optimiser step,
    /// L = −(1/N)·Σₑ Σ_{t trained} log p(xₑ,ₜ₊₁ | xₑ,≤ₜ), N the number of trained tokens.
    /// </summary>
    public static LossFunction Sft(ReferenceDecoder decoder, IReadOnlyList<ReferenceSequence> examples)
    {
        int n = examples.Sum(e => e.TargetCount);
        return (tape, p) =>
        {
            DTensor? loss = null;
            foreach (var e in examples)
            {
                var targets = e.Targets();
                var lp = tape.TargetLogProbs(decoder.Logits(tape, p, e.Ids), targets);
                var term = tape.WeightedSum(lp, targets.Select(t => t >= 0 ? -1.0 / n : 0).ToArray());
                loss = loss is null ? term : tape.Add(loss, term);
            }

            return loss!;
        };
    }

    /// <summary>Σ_{t trained} log p of one sequence as a scalar on the tape.</summary>
    public static DTensor SequenceLogProb(Tape tape, ReferenceDecoder decoder, IReadOnlyDictionary<string, DTensor> p, ReferenceSequence s)
    {
        var targets = s.Targets();
        var lp = tape.TargetLogProbs(decoder.Logits(tape, p, s.Ids), targets);
        return tape.WeightedSum(lp, targets.Select(t => t >= 0 ? 1.0 : 0).ToArray());
    }

    /// <summary>Σ log p of the completions of each pair (chosen, rejected) under the given weights: the frozen reference's constants.</summary>
    public static (double Chosen, double Rejected)[] PairLogProbs(ReferenceDecoder decoder, ReferenceWeights w,
        IReadOnlyList<(ReferenceSequence Chosen, ReferenceSequence Rejected)> pairs)
    {
        var p = w.Bind(new HashSet<string>());
        return pairs.Select(pair => (SequenceLogProb(new Tape(), decoder, p, pair.Chosen).Value[0], SequenceLogProb(new Tape(), decoder, p, pair.Rejected).Value[0]))
            .ToArray();
    }

    /// <summary>
    /// DPO with the sigmoid loss (Rafailov et al.), averaged over the pairs of the step: with πc, πr the summed log-probs of
    /// the chosen and rejected completions under the policy and ρc, ρr the frozen reference's,
    /// Lᵢ = −log σ(β·((πc − ρc) − (πr − ρr))) = softplus(−β·h), plus, when <paramref name="sftWeight"/> w &gt; 0, the chosen
    /// completion's mean NLL w·(−πc/nc).
    /// </summary>
    public static LossFunction Dpo(ReferenceDecoder decoder, IReadOnlyList<(ReferenceSequence Chosen, ReferenceSequence Rejected)> pairs,
        (double Chosen, double Rejected)[] reference, double beta, double sftWeight = 0) => (tape, p) =>
        {
            DTensor? loss = null;
            for (int i = 0; i < pairs.Count; i++)
            {
                var chosen = SequenceLogProb(tape, decoder, p, pairs[i].Chosen);
                var rejected = SequenceLogProb(tape, decoder, p, pairs[i].Rejected);
                var h = tape.Sub(
                    tape.Sub(chosen, DTensor.Scalar(reference[i].Chosen)),
                    tape.Sub(rejected, DTensor.Scalar(reference[i].Rejected)));
                var term = tape.Softplus(tape.Scale(h, -beta));
                if (sftWeight > 0)
                {
                    term = tape.Add(term, tape.Scale(chosen, -sftWeight / pairs[i].Chosen.TargetCount));
                }

                term = tape.Scale(term, 1.0 / pairs.Count);
                loss = loss is null ? term : tape.Add(loss, term);
            }

            return loss!;
        };

    /// <summary>
    /// The engine's contract: L = Σ coef·log p(target) over positions given per sequence (targets −1 carry nothing).
    /// Each sequence has its own decoder (its dropout masks depend on where the sequence sits in the batch).
    /// </summary>
    public static LossFunction Weighted(IReadOnlyList<(ReferenceDecoder Decoder, int[] Ids, int[] Targets, double[] Coef)> sequences) => (tape, p) =>
    {
        DTensor? loss = null;
        foreach (var (decoder, ids, targets, coef) in sequences)
        {
            var term = tape.WeightedSum(tape.TargetLogProbs(decoder.Logits(tape, p, ids), targets), coef);
            loss = loss is null ? term : tape.Add(loss, term);
        }

        return loss!;
    };
}
