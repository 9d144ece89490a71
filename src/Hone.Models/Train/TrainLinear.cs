using System.Numerics.Tensors;
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

    /// <summary>A weight-shaped gradient before it is added to the running sum [max weight].</summary>
    public required Tensor WeightGrad { get; init; }

    /// <summary>A [rows, in] contribution to dx before it is added.</summary>
    public required Tensor DxPart { get; init; }

    /// <summary>A [rows, out] LoRA contribution to y before it is added.</summary>
    public required Tensor OutPart { get; init; }

    /// <summary>dropout(x) [rows, in].</summary>
    public required Tensor Dropped { get; init; }

    /// <summary>du [rows, rank] and duᵀ [rank, rows].</summary>
    public required Tensor Du { get; init; }

    /// <summary>duᵀ [rank, rows].</summary>
    public required Tensor DuT { get; init; }
}

/// <summary>
/// One linear layer y = x·Wᵀ (+ b) (+ LoRA) of the trainer, its forward and, beside it, its backward. Gradients of W and
/// b exist only when the base weights are trained; the adapter's when it is present.
/// </summary>
internal sealed class TrainLinear(Tensor w, Tensor? bias, int outputs, int inputs)
{
    public Tensor W { get; } = w;
    public Tensor? Bias { get; } = bias;
    public int Out { get; } = outputs;
    public int In { get; } = inputs;
    public Tensor? WGrad { get; set; }
    public Tensor? BiasGrad { get; set; }
    public LoraAdapter? Lora { get; set; }

    /// <summary>Mask key of this adapter for the current step; no dropout when <paramref name="p"/> is 0.</summary>
    public readonly record struct Dropout(ulong Key, float P);

    /// <summary>y [m, Out] = x [m, In]·Wᵀ + b, plus scale·dropout(x)·Aᵀ·Bᵀ when the adapter is on.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int m, bool adapterOn, Dropout drop, LinearScratch s, WorkerPool pool)
    {
        MatMul.XWt(x, W.Span, Bias is { } b ? b.Span : default, y, m, In, Out, pool);
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
    /// dW, db, dA, dB are added to their gradients. x and the dropout key must be those of the forward.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int m, bool accumulateDx, bool adapterOn, Dropout drop, LinearScratch s, WorkerPool pool)
    {
        dy = dy[..(m * Out)];
        if (WGrad is { } wg)
        {
            Span<float> t = s.Transposed.Span[..(Out * m)];
            MatMulBackward.Transpose(dy, t, m, Out);
            Span<float> tmp = s.WeightGrad.Span[..(Out * In)];
            MatMul.XW(t, x, default, tmp, Out, m, In, pool);
            TensorPrimitives.Add(wg.Span, tmp, wg.Span);
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
        Span<float> part = s.DxPart.Span[..(m * In)];
        MatMul.XW(dy, W.Span, default, accumulateDx ? part : dxAll, m, Out, In, pool);
        if (accumulateDx)
        {
            TensorPrimitives.Add(dxAll, part, dxAll);
        }

        if (Lora is not { } lora || !adapterOn)
        {
            return;
        }

        int r = lora.Rank;
        ReadOnlySpan<float> xd = Drop(x, m, drop, s);
        ReadOnlySpan<float> u = lora.U.Span[..(m * r)];

        // dB += scale · dyᵀ·u
        Span<float> dyT = s.Transposed.Span[..(Out * m)];
        MatMulBackward.Transpose(dy, dyT, m, Out);
        Span<float> tmpB = s.WeightGrad.Span[..(Out * r)];
        MatMul.XW(dyT, u, default, tmpB, Out, m, r, pool);
        TensorPrimitives.MultiplyAdd(tmpB, lora.Scale, lora.BGrad.Span, lora.BGrad.Span);

        // du = scale · dy·B
        Span<float> du = s.Du.Span[..(m * r)];
        MatMul.XW(dy, lora.B.Span, default, du, m, Out, r, pool);
        TensorPrimitives.Multiply(du, lora.Scale, du);

        // dA += duᵀ·dropout(x)
        Span<float> duT = s.DuT.Span[..(r * m)];
        MatMulBackward.Transpose(du, duT, m, r);
        Span<float> tmpA = s.WeightGrad.Span[..(r * In)];
        MatMul.XW(duT, xd, default, tmpA, r, m, In, pool);
        TensorPrimitives.Add(lora.AGrad.Span, tmpA, lora.AGrad.Span);

        // dx += (du·A) ⊙ mask
        MatMul.XW(du, lora.A.Span, default, part, m, r, In, pool);
        if (drop.P > 0)
        {
            LoraDropout.Apply(part, part, drop.Key, drop.P);
        }

        TensorPrimitives.Add(dxAll, part, dxAll);
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
