using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>The blocks of the training pass, each forward followed by its backward (which mirrors it in reverse).</summary>
public sealed partial class LlamaTrainer
{
    private bool _adaptersOn;
    private bool _dropoutOn;

    /// <summary>Positions whose logits the last forward left in the logits buffer (in order), or -1.</summary>
    private int _logitsKept = -1;

    private TrainLinear.Dropout DropFor(int layer, int module) =>
        _dropoutOn && _lora is { Dropout: > 0 } lo ? new(LoraDropout.Key(lo.Seed, DropoutStep, layer, module), lo.Dropout) : default;

    private float AttentionScale => 1f / MathF.Sqrt(_c.HeadDim);

    /// <summary>The output head of this pass: the trained copy (modules to save) while the adapters are on, else the model's.</summary>
    private Tensor ClassifierWeight => _adaptersOn && _savedHead is { } h ? h : _classifier.W;

    /// <summary>Where the head's gradient goes: the model's weight (full), the trained copy (adapters on), or nowhere.</summary>
    private Tensor? ClassifierGrad => _classifier.WGrad ?? (_adaptersOn ? _savedHeadGrad : null);

    /// <summary>res[2l+1] = res[2l] + Wo·attention(rope(norm_q(Wq·n)), rope(norm_k(Wk·n)), Wv·n), n = rmsnorm(res[2l]).</summary>
    private void AttentionForward(int l)
    {
        var s = _layers[l];
        var w = s.Weights;
        int n = _n, dim = _c.Dim, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, heads = _c.Heads, kvHeads = _c.KvHeads, seq = _seq;
        ReadOnlySpan<float> x = ResidualAt(2 * l);
        Span<float> xn = s.XnAttn.Span[..(n * dim)];
        RmsNorm.Forward(x, w.AttnNorm.Span, xn, n, dim, _c.RmsEps);
        Span<float> q = s.Q_.Span[..(n * qDim)], k = s.K_.Span[..(n * kvDim)], v = s.V_.Span[..(n * kvDim)];
        Span<float> qPre = s.QRaw is { } qr ? qr.Span[..(n * qDim)] : q;
        Span<float> kPre = s.KRaw is { } kr ? kr.Span[..(n * kvDim)] : k;
        s.Q.Forward(xn, qPre, n, _adaptersOn, DropFor(l, 0), _scratch, _pool);
        s.K.Forward(xn, kPre, n, _adaptersOn, DropFor(l, 1), _scratch, _pool);
        s.V.Forward(xn, v, n, _adaptersOn, DropFor(l, 2), _scratch, _pool);
        if (w.QNorm is { } qn && w.KNorm is { } kn)
        {
            RmsNorm.Forward(qPre, qn.Span, q, n * heads, hd, _c.RmsEps);
            RmsNorm.Forward(kPre, kn.Span, k, n * kvHeads, hd, _c.RmsEps);
        }

        ApplyRope(q, heads, backward: false);
        ApplyRope(k, kvHeads, backward: false);
        Span<float> att = s.Att.Span[..(n * qDim)];
        Span<float> probs = s.Probs.Span;
        for (int r = 0; r < _rows; r++)
        {
            AttentionSequence.ForwardSequence(
                q.Slice(r * seq * qDim, seq * qDim), k.Slice(r * seq * kvDim, seq * kvDim), v.Slice(r * seq * kvDim, seq * kvDim),
                _firstVisible.AsSpan(r * seq, seq), probs.Slice(r * seq * heads * seq, seq * heads * seq), att.Slice(r * seq * qDim, seq * qDim),
                _attnScratch.Span, seq, 0, heads, kvHeads, hd, AttentionScale, _pool);
        }

        Span<float> proj = _dxn.Span[..(n * dim)];
        s.O.Forward(att, proj, n, _adaptersOn, DropFor(l, 3), _scratch, _pool);
        TensorPrimitives.Add(x, proj, ResidualAt((2 * l) + 1));
    }

    /// <summary>Backward of <see cref="AttentionForward"/>: on entry d_res holds dL/d res[2l+1], on return dL/d res[2l].</summary>
    private void AttentionBackward(int l)
    {
        var s = _layers[l];
        var w = s.Weights;
        int n = _n, dim = _c.Dim, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, heads = _c.Heads, kvHeads = _c.KvHeads, seq = _seq;
        Span<float> dRes = _dRes.Span[..(n * dim)];
        Span<float> dAtt = _dAtt.Span[..(n * qDim)];
        s.O.Backward(s.Att.Span, dRes, dAtt, n, false, _adaptersOn, DropFor(l, 3), _scratch, _pool);

        Span<float> q = s.Q_.Span[..(n * qDim)], k = s.K_.Span[..(n * kvDim)], v = s.V_.Span[..(n * kvDim)];
        Span<float> dq = _dq.Span[..(n * qDim)], dk = _dk.Span[..(n * kvDim)], dv = _dv.Span[..(n * kvDim)];
        dk.Clear();
        dv.Clear();
        Span<float> probs = s.Probs.Span;
        for (int r = 0; r < _rows; r++)
        {
            AttentionSequence.BackwardSequence(
                q.Slice(r * seq * qDim, seq * qDim), k.Slice(r * seq * kvDim, seq * kvDim), v.Slice(r * seq * kvDim, seq * kvDim),
                probs.Slice(r * seq * heads * seq, seq * heads * seq), dAtt.Slice(r * seq * qDim, seq * qDim),
                dq.Slice(r * seq * qDim, seq * qDim), dk.Slice(r * seq * kvDim, seq * kvDim), dv.Slice(r * seq * kvDim, seq * kvDim),
                _attnScratch.Span, seq, 0, heads, kvHeads, hd, AttentionScale, _pool);
        }

        ApplyRope(dk, kvHeads, backward: true);
        ApplyRope(dq, heads, backward: true);
        if (w.QNorm is { } qn && w.KNorm is { } kn)
        {
            RmsNorm.Backward(s.KRaw!.Value.Span, kn.Span, dk, dk, s.KNormGrad is { } kg ? kg.Span : _junk.Span[..hd], _normScratch.Span, n * kvHeads, hd, _c.RmsEps);
            RmsNorm.Backward(s.QRaw!.Value.Span, qn.Span, dq, dq, s.QNormGrad is { } qg ? qg.Span : _junk.Span[..hd], _normScratch.Span, n * heads, hd, _c.RmsEps);
        }

        ReadOnlySpan<float> xn = s.XnAttn.Span[..(n * dim)];
        Span<float> dxn = _dxn.Span[..(n * dim)];
        s.V.Backward(xn, dv, dxn, n, false, _adaptersOn, DropFor(l, 2), _scratch, _pool);
        s.K.Backward(xn, dk, dxn, n, true, _adaptersOn, DropFor(l, 1), _scratch, _pool);
        s.Q.Backward(xn, dq, dxn, n, true, _adaptersOn, DropFor(l, 0), _scratch, _pool);
        RmsNorm.Backward(ResidualAt(2 * l), w.AttnNorm.Span, dxn, dxn, s.AttnNormGrad is { } ag ? ag.Span : _junk.Span[..dim], _normScratch.Span, n, dim, _c.RmsEps);
        TensorPrimitives.Add(dRes, dxn, dRes);
    }

    /// <summary>Rotates (or, backward, rotates back) every head of x [n, heads·headDim] by its token's position.</summary>
    private void ApplyRope(Span<float> x, int heads, bool backward)
    {
        int width = heads * _c.HeadDim, hd = _c.HeadDim;
        ReadOnlySpan<float> cos = _cos.Span, sin = _sin.Span;
        bool interleaved = _c.RopeLayout == RopeLayout.Interleaved;
        for (int i = 0; i < _n; i++)
        {
            Span<float> xi = x.Slice(i * width, width);
            int pos = _positions[i];
            if (interleaved)
            {
                if (backward)
                {
                    Rope.BackwardInterleaved(cos, sin, xi, 1, heads, hd, pos);
                }
                else
                {
                    Rope.ApplyInterleaved(cos, sin, xi, 1, heads, hd, pos);
                }
            }
            else if (backward)
            {
                Rope.BackwardHalf(cos, sin, xi, 1, heads, hd, pos);
            }
            else
            {
                Rope.ApplyHalf(cos, sin, xi, 1, heads, hd, pos);
            }
        }
    }

    /// <summary>res[2l+2] = res[2l+1] + W_down·(silu(W_gate·n) ⊙ W_up·n), n = rmsnorm(res[2l+1]).</summary>
    private void FeedForwardForward(int l)
    {
        var s = _layers[l];
        int n = _n, dim = _c.Dim, hidden = _c.HiddenDim;
        ReadOnlySpan<float> x = ResidualAt((2 * l) + 1);
        Span<float> xn = s.XnFfn.Span[..(n * dim)];
        RmsNorm.Forward(x, s.Weights.FfnNorm.Span, xn, n, dim, _c.RmsEps);
        Span<float> gate = s.GateAct.Span[..(n * hidden)], up = s.UpAct.Span[..(n * hidden)], act = s.Act.Span[..(n * hidden)];
        s.Gate.Forward(xn, gate, n, _adaptersOn, DropFor(l, 4), _scratch, _pool);
        s.Up.Forward(xn, up, n, _adaptersOn, DropFor(l, 5), _scratch, _pool);
        Activations.SwiGlu(gate, up, act, _pool);
        Span<float> proj = _dxn.Span[..(n * dim)];
        s.Down.Forward(act, proj, n, _adaptersOn, DropFor(l, 6), _scratch, _pool);
        TensorPrimitives.Add(x, proj, ResidualAt((2 * l) + 2));
    }

    /// <summary>Backward of <see cref="FeedForwardForward"/>: d_res holds dL/d res[2l+2] on entry, dL/d res[2l+1] on return.</summary>
    private void FeedForwardBackward(int l)
    {
        var s = _layers[l];
        int n = _n, dim = _c.Dim, hidden = _c.HiddenDim;
        Span<float> dRes = _dRes.Span[..(n * dim)];
        Span<float> dAct = _dAct.Span[..(n * hidden)], dGate = _dGate.Span[..(n * hidden)], dUp = _dUp.Span[..(n * hidden)];
        s.Down.Backward(s.Act.Span, dRes, dAct, n, false, _adaptersOn, DropFor(l, 6), _scratch, _pool);
        Activations.SwiGluBackward(s.GateAct.Span[..(n * hidden)], s.UpAct.Span[..(n * hidden)], dAct, dGate, dUp);
        ReadOnlySpan<float> xn = s.XnFfn.Span[..(n * dim)];
        Span<float> dxn = _dxn.Span[..(n * dim)];
        s.Up.Backward(xn, dUp, dxn, n, false, _adaptersOn, DropFor(l, 5), _scratch, _pool);
        s.Gate.Backward(xn, dGate, dxn, n, true, _adaptersOn, DropFor(l, 4), _scratch, _pool);
        RmsNorm.Backward(ResidualAt((2 * l) + 1), s.Weights.FfnNorm.Span, dxn, dxn, s.FfnNormGrad is { } fg ? fg.Span : _junk.Span[..dim], _normScratch.Span, n, dim, _c.RmsEps);
        TensorPrimitives.Add(dRes, dxn, dRes);
    }

    /// <summary>
    /// log p(target) = logit[target] − logsumexp(logits) and argmax == target for every position with a target; the
    /// logits are computed for chunks of those positions only. When one chunk holds them all, they stay for the
    /// backward (which would otherwise recompute exactly the same values).
    /// </summary>
    private void ClassifierForward(Span<float> targetLogProbs, Span<bool> argmaxCorrect)
    {
        targetLogProbs.Clear();
        argmaxCorrect.Clear();
        int count = 0;
        for (int i = 0; i < _n; i++)
        {
            if (_targets[i] != TokenBatch.IgnoreTarget)
            {
                _active[count++] = i;
            }
        }

        int dim = _c.Dim, vocab = _c.VocabSize;
        ReadOnlySpan<float> xn = _xnFinal.Span;
        _logitsKept = count <= _chunk ? count : -1;
        for (int c0 = 0; c0 < count; c0 += _chunk)
        {
            int m = Math.Min(_chunk, count - c0);
            Span<float> g = _gathered.Span[..(m * dim)];
            for (int i = 0; i < m; i++)
            {
                xn.Slice(_active[c0 + i] * dim, dim).CopyTo(g.Slice(i * dim, dim));
            }

            Span<float> logits = _logits.Span[..(m * vocab)];
            MatMul.XWt(g, ClassifierWeight.Span, default, logits, m, dim, vocab, _pool);
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> row = logits.Slice(i * vocab, vocab);
                int idx = _active[c0 + i], target = _targets[idx];
                float lse = CrossEntropy.LogSumExp(row);
                _lse[idx] = lse;
                targetLogProbs[idx] = row[target] - lse;
                argmaxCorrect[idx] = TensorPrimitives.IndexOfMax(row) == target;
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="ClassifierForward"/>: dlogits = c·(onehot(target) − softmax) per trained position
    /// (logits kept from the forward when it had the same positions in one chunk, else recomputed chunk by chunk),
    /// dxn [n, dim] written, dW_classifier accumulated.
    /// </summary>
    private void ClassifierBackward(ReadOnlySpan<float> coefficients, Span<float> dxn)
    {
        dxn.Clear();
        int count = 0;
        for (int i = 0; i < _n; i++)
        {
            if (_targets[i] != TokenBatch.IgnoreTarget && coefficients[i] != 0)
            {
                _active[count++] = i;
            }
        }

        int dim = _c.Dim, vocab = _c.VocabSize;
        ReadOnlySpan<float> xn = _xnFinal.Span;
        ReadOnlySpan<float> wc = ClassifierWeight.Span;
        Tensor? classifierGrad = ClassifierGrad;

        // The trained positions are a subset of the forward's (ascending): the same count means the same positions.
        bool kept = _logitsKept == count;
        _logitsKept = -1;
        for (int c0 = 0; c0 < count; c0 += _chunk)
        {
            int m = Math.Min(_chunk, count - c0);
            Span<float> g = _gathered.Span[..(m * dim)];
            Span<float> dLogits = _logits.Span[..(m * vocab)];
            if (!kept)
            {
                for (int i = 0; i < m; i++)
                {
                    xn.Slice(_active[c0 + i] * dim, dim).CopyTo(g.Slice(i * dim, dim));
                }

                MatMul.XWt(g, wc, default, dLogits, m, dim, vocab, _pool);
            }

            for (int i = 0; i < m; i++)
            {
                Span<float> row = dLogits.Slice(i * vocab, vocab);
                int idx = _active[c0 + i];
                float coef = coefficients[idx];
                TensorPrimitives.Subtract(row, _lse[idx], row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, -coef, row);
                row[_targets[idx]] += coef;
            }

            Span<float> dg = _scratch.DxPart.Span[..(m * dim)];
            MatMul.XW(dLogits, wc, default, dg, m, vocab, dim, _pool);
            for (int i = 0; i < m; i++)
            {
                dg.Slice(i * dim, dim).CopyTo(dxn.Slice(_active[c0 + i] * dim, dim));
            }

            if (classifierGrad is { } wg)
            {
                // dW += dlogitsᵀ·g, a block of vocabulary rows at a time (only the block is transposed, into the
                // layers' dyᵀ scratch): each element's arithmetic is that of one whole product.
                Span<float> t = _scratch.Transposed.Span;
                int block = Math.Max(1, t.Length / m);
                for (int v0 = 0; v0 < vocab; v0 += block)
                {
                    int vb = Math.Min(block, vocab - v0);
                    MatMulBackward.Transpose(dLogits[v0..], vocab, t, m, vb);
                    MatMul.XWAdd(t, g, default, wg.Span.Slice(v0 * dim, vb * dim), vb, m, dim, _pool);
                }
            }
        }
    }
}
