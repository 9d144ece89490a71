using Hone.Numerics;

namespace Hone.Models.Train;

/// <summary>
/// The contract between the engine and the training objectives ("one engine, three objectives"): the model's
/// forward pass yields, for every position of a batch, the log-probability of its target token; an objective (SFT,
/// DPO, RFT — in Hone.Training) turns those into a loss and one gradient coefficient per position,
/// dLoss/d log p(target); the shared backward pass turns the coefficients into parameter gradients.
/// </summary>
public interface ITrainableModel
{
    /// <summary>Vocabulary size (rows of the output projection).</summary>
    int VocabSize { get; }

    /// <summary>Longest sequence a batch row may hold.</summary>
    int MaxSequenceLength { get; }

    /// <summary>
    /// The parameters the optimiser updates, in a fixed order (all weights for full fine-tuning; only the adapter
    /// matrices for LoRA). Gradients accumulate into <see cref="TrainableParameter.Grad"/> until <see cref="ZeroGrad"/>.
    /// </summary>
    IReadOnlyList<TrainableParameter> Parameters { get; }

    /// <summary>
    /// Forward pass over <paramref name="batch"/>, keeping what the backward pass needs. Writes, for every position
    /// t of every row, <c>log p(batch.Targets[t] | tokens ≤ t)</c> into <paramref name="targetLogProbs"/> and whether
    /// the argmax of the logits equals the target into <paramref name="argmaxCorrect"/> (both of length
    /// Rows × SequenceLength; positions whose target is <see cref="TokenBatch.IgnoreTarget"/> get 0 and false).
    /// </summary>
    void Forward(TokenBatch batch, Span<float> targetLogProbs, Span<bool> argmaxCorrect);

    /// <summary>
    /// Backward pass of the last <see cref="Forward"/>: <paramref name="coefficients"/>[t] is dLoss/d log p(target at t)
    /// (0 where the position is not trained); parameter gradients are accumulated (added) into
    /// <see cref="TrainableParameter.Grad"/>.
    /// </summary>
    void Backward(ReadOnlySpan<float> coefficients);

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGrad();

    /// <summary>The workers the model computes on, which the optimiser may share between passes (default: the calling thread).</summary>
    WorkerPool Workers => WorkerPool.Single;

    /// <summary>Whether the model trains adapters (LoRA) beside frozen base weights; false for full fine-tuning.</summary>
    bool HasAdapters { get; }

    /// <summary>
    /// Whether the adapters (and LoRA's trained copies of modules to save) take part in the forward pass (default true).
    /// Switched off, the model scores as its base (DPO's and RFT's reference); without adapters it changes nothing.
    /// A backward after a forward without adapters yields no adapter gradients.
    /// </summary>
    bool AdaptersEnabled { get; set; }

    /// <summary>Whether dropout applies (default true, for training); switch off to evaluate.</summary>
    bool DropoutEnabled { get; set; }

    /// <summary>
    /// The counter the dropout masks are drawn for, advanced by one after every <see cref="Backward"/>. A checkpoint
    /// stores it, so that a resumed run draws the masks an uninterrupted one would.
    /// </summary>
    long DropoutStep { get; set; }

    /// <summary>
    /// An inference session over the model's current weights (adapters folded in, dropout off) for sampling, e.g. RFT's
    /// rollouts; the caller disposes it, and must before the next optimiser step changes the weights.
    /// </summary>
    /// <param name="maxContext">Positions the session holds.</param>
    /// <param name="pool">Workers for the session.</param>
    IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null);
}

/// <summary>One trainable tensor and its gradient (both views into the run's arena).</summary>
/// <param name="Name">Stable name (Hugging Face / PEFT naming, e.g. <c>model.layers.0.self_attn.q_proj.lora_A.weight</c>).</param>
/// <param name="Value">The weights.</param>
/// <param name="Grad">The accumulated gradient, same shape.</param>
/// <param name="WeightDecay">Whether AdamW's decoupled weight decay applies (false for norms and biases).</param>
public sealed record TrainableParameter(string Name, Tensor Value, Tensor Grad, bool WeightDecay);

/// <summary>
/// A batch of token rows for training or scoring. Each row holds one example (padded) or several packed examples;
/// <see cref="SegmentIds"/> keeps attention inside each example (document-causal mask) and <see cref="Positions"/>
/// restarts at 0 for each packed example.
/// </summary>
public sealed class TokenBatch
{
    /// <summary>Target value of positions that are not predicted (padding, prompt tokens under SFT masking).</summary>
    public const int IgnoreTarget = -1;

    /// <summary>Creates an empty batch of <paramref name="rows"/> × <paramref name="sequenceLength"/>.</summary>
    public TokenBatch(int rows, int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        Rows = rows;
        SequenceLength = sequenceLength;
        var n = checked(rows * sequenceLength);
        Tokens = new int[n];
        Targets = new int[n];
        Positions = new int[n];
        SegmentIds = new int[n];
        Array.Fill(Targets, IgnoreTarget);
        Array.Fill(SegmentIds, -1);
    }

    /// <summary>Rows in the batch.</summary>
    public int Rows { get; }

    /// <summary>Positions per row.</summary>
    public int SequenceLength { get; }

    /// <summary>Input token ids, row-major [Rows, SequenceLength].</summary>
    public int[] Tokens { get; }

    /// <summary>The token each position predicts (the next input token), or <see cref="IgnoreTarget"/>.</summary>
    public int[] Targets { get; }

    /// <summary>Position ids for RoPE / learned positions (restart at 0 for each packed example).</summary>
    public int[] Positions { get; }

    /// <summary>Which example of the row each position belongs to; -1 is padding. Attention never crosses segments.</summary>
    public int[] SegmentIds { get; }
}
