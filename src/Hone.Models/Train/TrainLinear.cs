using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>A LoRA adapter on one linear layer: A [rank, in], B [out, rank], their gradients, and the saved
/// low-rank activation u = dropout(x)·Aᵀ [rows, rank] of the last forward.</summary>
internal sealed class LoraAdapter
{
    public required Tensor A { get; init; }
    public required Tensor B { get; init; }
    public required Tensor AGrad { get; init; }
    public required Tensor BGrad { get; init; }
    public required Tensor U { get; init; }
    public required int Rank { get; init; }
    public required float Scale { get; init; }
}

/// <summary>Scratch space the linear backward passes share (views into the trainer's arena).</summary>
internal sealed class LinearScratch
{
    /// <summary>dyᵀ [out, rows] (and the classifier's dlogitsᵀ).</summary>
    public required Tensor Transposed { get; init; }

    /// <summary>A LoRA dBᵀ [rank, out] before it is added to the running sum.</summary>
    public required Tensor WeightGrad { get; init; }

    /// <summary>A [rows, in] contribution to dx before it is added.</summary>
    public required Tensor DxPart { get; init; }

    /// <summary>A [rows, out] LoRA contribution to y before it is added.</summary>
    public required Tensor OutPart { get; init; }

    /// <summary>dropout(x) [rows, in].</summary>
    public required Tensor Dropped { get; init; }

    /// <summary>du [rows, rank] and duᵀ [rank, rows].</summary>
    public required Tensor Du { get; init; }

    /// <summary>duᵀ [rank, rows] (and uᵀ).</summary>
    public required Tensor DuT { get; init; }

    /// <summary>Bᵀ [rank, out] of one adapter.</summary>
    public required Tensor BTransposed { get; init; }
}

/// <summary>
/// One linear layer y = x·Wᵀ (+ b) (+ LoRA) of the trainer, its forward and, beside it, its backward. Gradients of W and
/// b exist only when the base weights are trained; the adapter's when it is present. A frozen W may be held in BF16
/// (<paramref name="storedW"/>, <see cref="BF16Base"/>): its products read it directly (<see cref="MatMulBF16"/>).
/// </summary>
internal sealed class TrainLinear(Tensor w, StoredMatrix? storedW, Tensor? bias, int outputs, int inputs)
{
    public Tensor W { get; } = w;

    /// <summary>W in BF16 (then <see cref="W"/> is default and W is never trained), or null.</summary>
    public StoredMatrix? StoredW { get; } = storedW;
    public Tensor? Bias { get; } = bias;
    public int Out { get; } = outputs;
    public int In { get; } = inputs;
    public Tensor? WGrad { get; set; }
    public Tensor? BiasGrad { get; set; }
    public LoraAdapter? Lora { get; set; }

    /// <summary>Mask key of this adapter for the current step; no dropout when <paramref name="p"/> is 0.</summary>
    public readonly record struct Dropout(ulong Key, float P);

    /// <summary>y [m, Out] = x [m, In]·Wᵀ + b, plus scale·dropout(x)·Aᵀ·Bᵀ when the adapter is on.</summary>
    /// <remarks>The rank-sized products (m·rank·(In + Out) multiply-adds) go to the pool too: <see cref="MatMul"/> keeps
    /// the small ones on the calling thread itself, and at a training step's m (hundreds of positions) the adapter's share
    /// of a step is a quarter of it. Results do not depend on the thread count.</remarks>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int m, bool adapterOn, Dropout drop, LinearScratch s, WorkerPool pool)
    {
        ReadOnlySpan<float> bias = Bias is { } b ? b.Span : default;
        if (StoredW is { } sw)
        {
            MatMulBF16.XWt(x, BF16Base.Bits(sw), bias, y, m, In, Out, pool);
        }
        else
        {
            MatMul.XWt(x, W.Span, bias, y, m, In, Out, pool);
        }

        if (Lora is not { } lora || !adapterOn)
        {
            return;
        }

        ReadOnlySpan<float> xd = Drop(x, m, drop, s);
        Span<float> u = lora.U.Span[..(m * lora.Rank)];
        MatMul.XWt(xd, lora.A.Span, default, u, m, In, lora.Rank, pool);
        Span<float> part = s.OutPart.Span[..(m * Out)];
        MatMul.XWt(u, lora.B.Span, default, part, m, lora.Rank, Out, pool);
        TensorPrimitives.MultiplyAdd(part, lora.Scale, y[..(m * Out)], y[..(m * Out)]);
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: dx [m, In] is written (or added to when <paramref name="accumulateDx"/>);
    /// dW, db, dA, dB are added to their gradients. x and the dropout key must be those of the forward. The products
    /// accumulate straight into their targets (no weight-sized temporaries); a frozen W costs only dx = dy·W.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int m, bool accumulateDx, bool adapterOn, Dropout drop, LinearScratch s, WorkerPool pool)
    {
        dy = dy[..(m * Out)];
        if (WGrad is { } wg)
        {
            // dW += dyᵀ·x
            Span<float> t = s.Transposed.Span[..(Out * m)];
            MatMulBackward.Transpose(dy, t, m, Out);
            MatMul.XWAdd(t, x, default, wg.Span, Out, m, In, pool);
        }

        if (BiasGrad is { } bg)
        {
            Span<float> g = bg.Span;
            for (int i = 0; i < m; i++)
            {
                TensorPrimitives.Add(g, dy.Slice(i * Out, Out), g);
            }
        }

        Span<float> dxAll = dx[..(m * In)];
        if (StoredW is { } sw)
        {
            if (accumulateDx)
            {
                MatMulBF16.XWAdd(dy, BF16Base.Bits(sw), default, dxAll, m, Out, In, pool);
            }
            else
            {
                MatMulBF16.XW(dy, BF16Base.Bits(sw), default, dxAll, m, Out, In, pool);
            }
        }
        else if (accumulateDx)
        {
            MatMul.XWAdd(dy, W.Span, default, dxAll, m, Out, In, pool);
        }
        else
        {
            MatMul.XW(dy, W.Span, default, dxAll, m, Out, In, pool);
        }

        if (Lora is not { } lora || !adapterOn)
        {
            return;
        }

        int r = lora.Rank;
        ReadOnlySpan<float> xd = Drop(x, m, drop, s);
        ReadOnlySpan<float> u = lora.U.Span[..(m * r)];

        // dB += scale · dyᵀ·u, computed as (uᵀ·dy)ᵀ so that only the small u is transposed.
        Span<float> uT = s.DuT.Span[..(r * m)];
        MatMulBackward.Transpose(u, uT, m, r);
        Span<float> dBt = s.WeightGrad.Span[..(r * Out)];
        MatMul.XW(uT, dy, default, dBt, r, m, Out, pool);
        Span<float> bGrad = lora.BGrad.Span;
        for (int j = 0; j < r; j++)
        {
            ReadOnlySpan<float> row = dBt.Slice(j * Out, Out);
            for (int o = 0; o < Out; o++)
            {
                bGrad[(o * r) + j] += row[o] * lora.Scale;
            }
        }

        // du = scale · dy·B, as dot products of dy's rows with Bᵀ's rows.
        Span<float> bT = s.BTransposed.Span[..(r * Out)];
        MatMulBackward.Transpose(lora.B.Span, bT, Out, r);
        Span<float> du = s.Du.Span[..(m * r)];
        MatMul.XWt(dy, bT, default, du, m, Out, r, pool);
        TensorPrimitives.Multiply(du, lora.Scale, du);

        // dA += duᵀ·dropout(x)
        Span<float> duT = s.DuT.Span[..(r * m)];
        MatMulBackward.Transpose(du, duT, m, r);
        MatMul.XWAdd(duT, xd, default, lora.AGrad.Span, r, m, In, pool);

        // dx += (du·A) ⊙ mask
        if (drop.P > 0)
        {
            Span<float> part = s.DxPart.Span[..(m * In)];
            MatMul.XW(du, lora.A.Span, default, part, m, r, In, pool);
            LoraDropout.Apply(part, part, drop.Key, drop.P);
            TensorPrimitives.Add(dxAll, part, dxAll);
        }
        else
        {
            MatMul.XWAdd(du, lora.A.Span, default, dxAll, m, r, In, pool);
        }
    }

    private ReadOnlySpan<float> Drop(ReadOnlySpan<float> x, int m, Dropout drop, LinearScratch s)
    {
        if (drop.P <= 0)
        {
            return x[..(m * In)];
        }

        Span<float> d = s.Dropped.Span[..(m * In)];
        LoraDropout.Apply(x[..(m * In)], d, drop.Key, drop.P);
        return d;
    }
}
