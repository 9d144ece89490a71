using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// One decoder layer of the training pass: its seven linears (with their weight gradients under full fine-tuning and
/// their adapters under LoRA), its norm-weight gradients, the activations its forward saves for its backward (views
/// into the trainer's arena), and its two blocks, attention then feed-forward, each forward followed by its backward
/// (which mirrors it in reverse). The layer reads the loaded batch from the shared <see cref="TrainPass"/> and moves
/// the residual stream and its gradient through the shared buffers of the <see cref="TrainerArena"/>.
/// </summary>
internal sealed class TrainLayer
{
    private readonly TrainerArena _arena;
    private readonly TrainPass _pass;
    private readonly LlamaConfig _c;
    private readonly WorkerPool _pool;
    private readonly int _layer;
    private readonly LlamaLayerWeights _w;
    private readonly TrainLinear _q, _k, _v, _o, _gate, _up, _down;
    private readonly Tensor? _attnNormGrad, _ffnNormGrad, _qNormGrad, _kNormGrad;

    // Saved by the forward for the backward.
    private readonly Tensor _xnAttn, _qOut, _kOut, _vOut, _probs, _att, _xnFfn, _gateOut, _upOut, _act;
    private readonly Tensor? _qRaw, _kRaw;

    /// <summary>Binds layer <paramref name="layer"/>'s tensors in <paramref name="arena"/>.</summary>
    /// <param name="arena">The trainer's arena (laid out for this configuration).</param>
    /// <param name="pass">The pass the layer runs in.</param>
    /// <param name="w">The layer's weights.</param>
    /// <param name="c">The model's configuration.</param>
    /// <param name="layer">The layer's index.</param>
    /// <param name="lora">LoRA options, or null for full fine-tuning (every weight gets its gradient).</param>
    /// <param name="targets">The modules that carry adapters.</param>
    /// <param name="pool">Workers for the matmuls and attention.</param>
    public TrainLayer(TrainerArena arena, TrainPass pass, LlamaLayerWeights w, LlamaConfig c, int layer, LoraOptions? lora,
        IReadOnlyList<string> targets, WorkerPool pool)
    {
        _arena = arena;
        _pass = pass;
        _c = c;
        _pool = pool;
        _layer = layer;
        _w = w;
        bool full = lora is null;
        TrainLinear Make(string module, Tensor weight, Tensor? bias)
        {
            string hfSuffix = LlamaModules.BlockOf(module) + "." + module;
            var (outputs, inputs) = LlamaModules.Shape(c, module);
            var stored = StoredOf(w.Stored, module);
            var lin = new TrainLinear(weight, stored, bias, outputs, inputs);
            if (full)
            {
                lin.WGrad = arena[TrainerArena.GradName(LlamaWeights.LayerName(layer, hfSuffix + ".weight"))];
                lin.BiasGrad = bias is null ? null : arena[TrainerArena.GradName(LlamaWeights.LayerName(layer, hfSuffix + ".bias"))];
            }

            if (lora is not null && targets.Contains(module))
            {
                lin.Lora = new LoraAdapter
                {
                    A = arena[TrainerArena.LoraName(layer, module, "A")],
                    B = arena[TrainerArena.LoraName(layer, module, "B")],
                    AGrad = arena[TrainerArena.GradName(TrainerArena.LoraName(layer, module, "A"))],
                    BGrad = arena[TrainerArena.GradName(TrainerArena.LoraName(layer, module, "B"))],
                    U = arena[TrainerArena.LoraActivationName(arena.ActivationLayer(layer), module)],
                    Rank = lora.Rank,
                    Scale = lora.Scale,
                };
            }

            return lin;
        }

        _q = Make(LlamaModules.QProj, w.Wq, w.Bq);
        _k = Make(LlamaModules.KProj, w.Wk, w.Bk);
        _v = Make(LlamaModules.VProj, w.Wv, w.Bv);
        _o = Make(LlamaModules.OProj, w.Wo, null);
        _gate = Make(LlamaModules.GateProj, w.WGate, null);
        _up = Make(LlamaModules.UpProj, w.WUp, null);
        _down = Make(LlamaModules.DownProj, w.WDown, null);
        Tensor? G(string suffix) => full ? arena[TrainerArena.GradName(LlamaWeights.LayerName(layer, suffix))] : null;
        _attnNormGrad = G("input_layernorm.weight");
        _ffnNormGrad = G("post_attention_layernorm.weight");
        _qNormGrad = c.QkNorm ? G("self_attn.q_norm.weight") : null;
        _kNormGrad = c.QkNorm ? G("self_attn.k_norm.weight") : null;
        string p = TrainerArena.LayerPrefix(arena.ActivationLayer(layer));
        _xnAttn = arena[p + "x_norm_attn"];
        _qRaw = c.QkNorm ? arena[p + "q_raw"] : null;
        _kRaw = c.QkNorm ? arena[p + "k_raw"] : null;
        _qOut = arena[p + "q"];
        _kOut = arena[p + "k"];
        _vOut = arena[p + "v"];
        _probs = arena[p + "probs"];
        _att = arena[p + "attention"];
        _xnFfn = arena[p + "x_norm_ffn"];
        _gateOut = arena[p + "gate"];
        _upOut = arena[p + "up"];
        _act = arena[p + "act"];
    }

    /// <summary>The BF16 matrix of one module of a layer whose linears are held in BF16 (<see cref="BF16Base"/>), or null.</summary>
    private static StoredMatrix? StoredOf(StoredLayer? s, string module) => s is null ? null : module switch
    {
        LlamaModules.QProj => s.Wq,
        LlamaModules.KProj => s.Wk,
        LlamaModules.VProj => s.Wv,
        LlamaModules.OProj => s.Wo,
        LlamaModules.GateProj => s.WGate,
        LlamaModules.UpProj => s.WUp,
        _ => s.WDown,
    };

    private float AttentionScale => 1f / MathF.Sqrt(_c.HeadDim);

    /// <summary>The linear of one module (<see cref="LlamaModules.Linear"/>).</summary>
    public TrainLinear Linear(string module) => module switch
    {
        LlamaModules.QProj => _q,
        LlamaModules.KProj => _k,
        LlamaModules.VProj => _v,
        LlamaModules.OProj => _o,
        LlamaModules.GateProj => _gate,
        LlamaModules.UpProj => _up,
        LlamaModules.DownProj => _down,
        _ => throw new ArgumentException($"Unknown module {module}.", nameof(module)),
    };

    /// <summary>
    /// LoRA's initial adapters, drawn from <paramref name="rng"/> module by module (<see cref="LlamaModules.Linear"/>
    /// order): A Kaiming-uniform with a = √5 (PEFT's default: U(−1/√in, 1/√in)), B zero. Adds A and B of each adapter
    /// to <paramref name="parameters"/>.
    /// </summary>
    public void InitLora(Random rng, List<TrainableParameter> parameters)
    {
        foreach (var module in LlamaModules.Linear)
        {
            if (Linear(module).Lora is not { } adapter)
            {
                continue;
            }

            float bound = 1f / MathF.Sqrt(adapter.A.Shape[1]);
            Span<float> a = adapter.A.Span;
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)(((rng.NextDouble() * 2) - 1) * bound);
            }

            parameters.Add(new TrainableParameter(TrainerArena.LoraName(_layer, module, "A"), adapter.A, adapter.AGrad, true));
            parameters.Add(new TrainableParameter(TrainerArena.LoraName(_layer, module, "B"), adapter.B, adapter.BGrad, true));
        }
    }

    /// <summary>res[2l+2] from res[2l]: the attention block, then the feed-forward block.</summary>
    public void Forward()
    {
        AttentionForward();
        FeedForwardForward();
    }

    /// <summary>Backward of <see cref="Forward"/>: d_res holds dL/d res[2l+2] on entry, dL/d res[2l] on return.</summary>
    public void Backward()
    {
        FeedForwardBackward();
        AttentionBackward();
    }

    private TrainLinear.Dropout DropFor(int module) => _pass.DropFor(_layer, module);

    /// <summary>res[2l+1] = res[2l] + Wo·attention(rope(norm_q(Wq·n)), rope(norm_k(Wk·n)), Wv·n), n = rmsnorm(res[2l]).</summary>
    private void AttentionForward()
    {
        var w = _w;
        var sc = _arena.Linear;
        bool on = _pass.AdaptersOn;
        int n = _pass.N, dim = _c.Dim, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, heads = _c.Heads, kvHeads = _c.KvHeads, seq = _pass.Seq;
        ReadOnlySpan<float> x = _arena.Residual(2 * _layer, n);
        Span<float> xn = _xnAttn.Span[..(n * dim)];
        RmsNorm.Forward(x, w.AttnNorm.Span, xn, n, dim, _c.RmsEps);
        Span<float> q = _qOut.Span[..(n * qDim)], k = _kOut.Span[..(n * kvDim)], v = _vOut.Span[..(n * kvDim)];
        Span<float> qPre = _qRaw is { } qr ? qr.Span[..(n * qDim)] : q;
        Span<float> kPre = _kRaw is { } kr ? kr.Span[..(n * kvDim)] : k;
        _q.Forward(xn, qPre, n, on, DropFor(0), sc, _pool);
        _k.Forward(xn, kPre, n, on, DropFor(1), sc, _pool);
        _v.Forward(xn, v, n, on, DropFor(2), sc, _pool);
        if (w.QNorm is { } qn && w.KNorm is { } kn)
        {
            RmsNorm.Forward(qPre, qn.Span, q, n * heads, hd, _c.RmsEps);
            RmsNorm.Forward(kPre, kn.Span, k, n * kvHeads, hd, _c.RmsEps);
        }

        ApplyRope(q, heads, backward: false);
        ApplyRope(k, kvHeads, backward: false);
        Span<float> att = _att.Span[..(n * qDim)];
        Span<float> probs = _probs.Span;
        for (int r = 0; r < _pass.Rows; r++)
        {
            AttentionSequence.ForwardSequence(
                q.Slice(r * seq * qDim, seq * qDim), k.Slice(r * seq * kvDim, seq * kvDim), v.Slice(r * seq * kvDim, seq * kvDim),
                _pass.FirstVisible.Slice(r * seq, seq), probs.Slice(r * seq * heads * seq, seq * heads * seq), att.Slice(r * seq * qDim, seq * qDim),
                _arena.AttentionScratch.Span, seq, 0, heads, kvHeads, hd, AttentionScale, _pool);
        }

        Span<float> proj = _arena.DNormOut.Span[..(n * dim)];
        _o.Forward(att, proj, n, on, DropFor(3), sc, _pool);
        TensorPrimitives.Add(x, proj, _arena.Residual((2 * _layer) + 1, n));
    }

    /// <summary>Backward of <see cref="AttentionForward"/>: on entry d_res holds dL/d res[2l+1], on return dL/d res[2l].</summary>
    private void AttentionBackward()
    {
        var w = _w;
        var sc = _arena.Linear;
        bool on = _pass.AdaptersOn;
        Span<float> junk = _arena.FrozenNormGrad.Span, normScratch = _arena.NormScratch.Span;
        int n = _pass.N, dim = _c.Dim, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, heads = _c.Heads, kvHeads = _c.KvHeads, seq = _pass.Seq;
        Span<float> dRes = _arena.DRes.Span[..(n * dim)];
        Span<float> dAtt = _arena.DAttention.Span[..(n * qDim)];
        _o.Backward(_att.Span, dRes, dAtt, n, false, on, DropFor(3), sc, _pool);

        Span<float> q = _qOut.Span[..(n * qDim)], k = _kOut.Span[..(n * kvDim)], v = _vOut.Span[..(n * kvDim)];
        Span<float> dq = _arena.DQ.Span[..(n * qDim)], dk = _arena.DK.Span[..(n * kvDim)], dv = _arena.DV.Span[..(n * kvDim)];
        dk.Clear();
        dv.Clear();
        Span<float> probs = _probs.Span;
        for (int r = 0; r < _pass.Rows; r++)
        {
            AttentionSequence.BackwardSequence(
                q.Slice(r * seq * qDim, seq * qDim), k.Slice(r * seq * kvDim, seq * kvDim), v.Slice(r * seq * kvDim, seq * kvDim),
                probs.Slice(r * seq * heads * seq, seq * heads * seq), dAtt.Slice(r * seq * qDim, seq * qDim),
                dq.Slice(r * seq * qDim, seq * qDim), dk.Slice(r * seq * kvDim, seq * kvDim), dv.Slice(r * seq * kvDim, seq * kvDim),
                _arena.AttentionScratch.Span, seq, 0, heads, kvHeads, hd, AttentionScale, _pool);
        }

        ApplyRope(dk, kvHeads, backward: true);
        ApplyRope(dq, heads, backward: true);
        if (w.QNorm is { } qn && w.KNorm is { } kn)
        {
            RmsNorm.Backward(_kRaw!.Value.Span, kn.Span, dk, dk, _kNormGrad is { } kg ? kg.Span : junk[..hd], normScratch, n * kvHeads, hd, _c.RmsEps);
            RmsNorm.Backward(_qRaw!.Value.Span, qn.Span, dq, dq, _qNormGrad is { } qg ? qg.Span : junk[..hd], normScratch, n * heads, hd, _c.RmsEps);
        }

        ReadOnlySpan<float> xn = _xnAttn.Span[..(n * dim)];
        Span<float> dxn = _arena.DNormOut.Span[..(n * dim)];
        _v.Backward(xn, dv, dxn, n, false, on, DropFor(2), sc, _pool);
        _k.Backward(xn, dk, dxn, n, true, on, DropFor(1), sc, _pool);
        _q.Backward(xn, dq, dxn, n, true, on, DropFor(0), sc, _pool);
        RmsNorm.Backward(_arena.Residual(2 * _layer, n), w.AttnNorm.Span, dxn, dxn, _attnNormGrad is { } ag ? ag.Span : junk[..dim], normScratch, n, dim, _c.RmsEps);
        TensorPrimitives.Add(dRes, dxn, dRes);
    }

    /// <summary>Rotates (or, backward, rotates back) every head of x [n, heads·headDim] by its token's position.</summary>
    private void ApplyRope(Span<float> x, int heads, bool backward)
    {
        int width = heads * _c.HeadDim, hd = _c.HeadDim;
        ReadOnlySpan<float> cos = _arena.RopeCos.Span, sin = _arena.RopeSin.Span;
        ReadOnlySpan<int> positions = _pass.Positions;
        bool interleaved = _c.RopeLayout == RopeLayout.Interleaved;
        for (int i = 0; i < _pass.N; i++)
        {
            Span<float> xi = x.Slice(i * width, width);
            int pos = positions[i];
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
    private void FeedForwardForward()
    {
        var sc = _arena.Linear;
        bool on = _pass.AdaptersOn;
        int n = _pass.N, dim = _c.Dim, hidden = _c.HiddenDim;
        ReadOnlySpan<float> x = _arena.Residual((2 * _layer) + 1, n);
        Span<float> xn = _xnFfn.Span[..(n * dim)];
        RmsNorm.Forward(x, _w.FfnNorm.Span, xn, n, dim, _c.RmsEps);
        Span<float> gate = _gateOut.Span[..(n * hidden)], up = _upOut.Span[..(n * hidden)], act = _act.Span[..(n * hidden)];
        _gate.Forward(xn, gate, n, on, DropFor(4), sc, _pool);
        _up.Forward(xn, up, n, on, DropFor(5), sc, _pool);
        Activations.SwiGlu(gate, up, act, _pool);
        Span<float> proj = _arena.DNormOut.Span[..(n * dim)];
        _down.Forward(act, proj, n, on, DropFor(6), sc, _pool);
        TensorPrimitives.Add(x, proj, _arena.Residual((2 * _layer) + 2, n));
    }

    /// <summary>Backward of <see cref="FeedForwardForward"/>: d_res holds dL/d res[2l+2] on entry, dL/d res[2l+1] on return.</summary>
    private void FeedForwardBackward()
    {
        var sc = _arena.Linear;
        bool on = _pass.AdaptersOn;
        int n = _pass.N, dim = _c.Dim, hidden = _c.HiddenDim;
        Span<float> dRes = _arena.DRes.Span[..(n * dim)];
        Span<float> dAct = _arena.DAct.Span[..(n * hidden)], dGate = _arena.DGate.Span[..(n * hidden)], dUp = _arena.DUp.Span[..(n * hidden)];
        _down.Backward(_act.Span, dRes, dAct, n, false, on, DropFor(6), sc, _pool);
        Activations.SwiGluBackward(_gateOut.Span[..(n * hidden)], _upOut.Span[..(n * hidden)], dAct, dGate, dUp);
        ReadOnlySpan<float> xn = _xnFfn.Span[..(n * dim)];
        Span<float> dxn = _arena.DNormOut.Span[..(n * dim)];
        _up.Backward(xn, dUp, dxn, n, false, on, DropFor(5), sc, _pool);
        _gate.Backward(xn, dGate, dxn, n, true, on, DropFor(4), sc, _pool);
        RmsNorm.Backward(_arena.Residual((2 * _layer) + 1, n), _w.FfnNorm.Span, dxn, dxn, _ffnNormGrad is { } fg ? fg.Span : _arena.FrozenNormGrad.Span[..dim], _arena.NormScratch.Span, n, dim, _c.RmsEps);
        TensorPrimitives.Add(dRes, dxn, dRes);
    }
}
