using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>The arena layout: saved activations per layer, gradients, adapters and scratch.</summary>
public sealed partial class LlamaTrainer
{
    private void PlanTensors(ArenaPlan plan, int n, bool full, IReadOnlyList<string> targets)
    {
        var c = _c;
        int maxIn = Math.Max(c.Dim, Math.Max(c.QDim, c.HiddenDim));
        int maxOut = Math.Max(maxIn, c.KvDim);
        int rank = _lora?.Rank ?? 1;
        bool lora = _lora is not null;
        plan.Add("res", (2 * c.Layers) + 1, n, c.Dim);
        plan.Add("x_norm_final", n, c.Dim);
        plan.Add("rope_cos", MaxSequenceLength, c.HeadDim / 2);
        plan.Add("rope_sin", MaxSequenceLength, c.HeadDim / 2);
        plan.Add("gathered", _chunk, c.Dim);
        plan.Add("logits", _chunk, c.VocabSize);
        plan.Add("d_res", n, c.Dim);
        plan.Add("d_x_norm", n, c.Dim);
        plan.Add("d_q", n, c.QDim);
        plan.Add("d_k", n, c.KvDim);
        plan.Add("d_v", n, c.KvDim);
        plan.Add("d_attention", n, c.QDim);
        plan.Add("d_gate", n, c.HiddenDim);
        plan.Add("d_up", n, c.HiddenDim);
        plan.Add("d_act", n, c.HiddenDim);
        plan.Add("attention_scratch", _pool.ThreadCount, checked((int)AttentionSequence.BackwardSequenceScratchFloats(MaxSequenceLength, 0, c.HeadDim)));
        plan.Add("norm_scratch", Math.Max(c.Dim, c.HeadDim));
        plan.Add("frozen_norm_grad", Math.Max(c.Dim, c.HeadDim));
        plan.Add("s_transposed", n, maxOut);
        plan.Add("s_weight_grad", rank, lora ? maxOut : 1);
        plan.Add("s_dx_part", n, maxIn);
        plan.Add("s_out_part", lora ? n : 1, maxOut);
        plan.Add("s_dropped", _lora is { Dropout: > 0 } ? n : 1, maxIn);
        plan.Add("s_du", n, rank);
        plan.Add("s_du_t", rank, n);
        plan.Add("s_b_t", rank, lora ? maxOut : 1);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"layer{l}.";
            plan.Add(p + "x_norm_attn", n, c.Dim);
            if (c.QkNorm)
            {
                plan.Add(p + "q_raw", n, c.QDim);
                plan.Add(p + "k_raw", n, c.KvDim);
            }

            plan.Add(p + "q", n, c.QDim);
            plan.Add(p + "k", n, c.KvDim);
            plan.Add(p + "v", n, c.KvDim);
            plan.Add(p + "probs", n, c.Heads, MaxSequenceLength);
            plan.Add(p + "attention", n, c.QDim);
            plan.Add(p + "x_norm_ffn", n, c.Dim);
            plan.Add(p + "gate", n, c.HiddenDim);
            plan.Add(p + "up", n, c.HiddenDim);
            plan.Add(p + "act", n, c.HiddenDim);
            foreach (var module in targets)
            {
                var (outputs, inputs) = LlamaModules.Shape(c, module);
                string name = LoraName(l, module, "A");
                plan.Add(name, _lora!.Rank, inputs);
                plan.Add(GradName(name), _lora.Rank, inputs);
                name = LoraName(l, module, "B");
                plan.Add(name, outputs, _lora.Rank);
                plan.Add(GradName(name), outputs, _lora.Rank);
                plan.Add($"u:{l}.{module}", n, _lora.Rank);
            }
        }

        if (full)
        {
            foreach (var (name, shape) in LlamaWeights.Manifest(c))
            {
                plan.Add(GradName(name), shape);
            }
        }

        if (_saveEmbed)
        {
            plan.Add(SavedName(LlamaModules.EmbedTokens), c.VocabSize, c.Dim);
            plan.Add(GradName(SavedName(LlamaModules.EmbedTokens)), c.VocabSize, c.Dim);
        }

        if (_saveHead && !c.TiedEmbeddings)
        {
            plan.Add(SavedName(LlamaModules.LmHead), c.VocabSize, c.Dim);
            plan.Add(GradName(SavedName(LlamaModules.LmHead)), c.VocabSize, c.Dim);
        }
    }

    /// <summary>The PEFT name of a module trained in full beside the adapters (embed_tokens or lm_head).</summary>
    public static string SavedName(string module) => Adapters.PeftAdapter.SavedModuleName(module);

    /// <summary>The PEFT name of a LoRA matrix ("A" or "B") of one module of one layer.</summary>
    public static string LoraName(int layer, string module, string matrix) => Adapters.PeftAdapter.TensorName(layer, module, matrix);

    /// <summary>A: Kaiming-uniform with a = √5 (PEFT's default: U(−1/√in, 1/√in)), seeded; B: zero.</summary>
    private void InitLora(LoraOptions lora, IReadOnlyList<string> targets)
    {
        var rng = new Random(lora.Seed);
        for (int l = 0; l < _c.Layers; l++)
        {
            foreach (var module in LlamaModules.Linear)
            {
                if (!targets.Contains(module))
                {
                    continue;
                }

                var adapter = _layers[l].Linear(module).Lora!;
                float bound = 1f / MathF.Sqrt(adapter.A.Shape[1]);
                Span<float> a = adapter.A.Span;
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = (float)(((rng.NextDouble() * 2) - 1) * bound);
                }

                _parameters.Add(new TrainableParameter(LoraName(l, module, "A"), adapter.A, adapter.AGrad, true));
                _parameters.Add(new TrainableParameter(LoraName(l, module, "B"), adapter.B, adapter.BGrad, true));
            }
        }
    }

    /// <summary>One layer's weights (as trainable linears), norm gradients and saved activations.</summary>
    private sealed class LayerState
    {
        public LayerState(Arena a, LlamaLayerWeights w, LlamaConfig c, int layer, bool full, LoraOptions? lora, IReadOnlyList<string> targets)
        {
            Weights = w;
            string p = $"layer{layer}.";
            TrainLinear Make(string module, Tensor weight, Tensor? bias)
            {
                string hfSuffix = LlamaModules.BlockOf(module) + "." + module;
                var (outputs, inputs) = LlamaModules.Shape(c, module);
                var lin = new TrainLinear(weight, bias, outputs, inputs);
                if (full)
                {
                    lin.WGrad = a[GradName(LlamaWeights.LayerName(layer, hfSuffix + ".weight"))];
                    lin.BiasGrad = bias is null ? null : a[GradName(LlamaWeights.LayerName(layer, hfSuffix + ".bias"))];
                }

                if (lora is not null && targets.Contains(module))
                {
                    lin.Lora = new LoraAdapter
                    {
                        A = a[LoraName(layer, module, "A")],
                        B = a[LoraName(layer, module, "B")],
                        AGrad = a[GradName(LoraName(layer, module, "A"))],
                        BGrad = a[GradName(LoraName(layer, module, "B"))],
                        U = a[$"u:{layer}.{module}"],
                        Rank = lora.Rank,
                        Scale = lora.Scale,
                    };
                }

                return lin;
            }

            Q = Make(LlamaModules.QProj, w.Wq, w.Bq);
            K = Make(LlamaModules.KProj, w.Wk, w.Bk);
            V = Make(LlamaModules.VProj, w.Wv, w.Bv);
            O = Make(LlamaModules.OProj, w.Wo, null);
            Gate = Make(LlamaModules.GateProj, w.WGate, null);
            Up = Make(LlamaModules.UpProj, w.WUp, null);
            Down = Make(LlamaModules.DownProj, w.WDown, null);
            Tensor? G(string suffix) => full ? a[GradName(LlamaWeights.LayerName(layer, suffix))] : null;
            AttnNormGrad = G("input_layernorm.weight");
            FfnNormGrad = G("post_attention_layernorm.weight");
            QNormGrad = c.QkNorm ? G("self_attn.q_norm.weight") : null;
            KNormGrad = c.QkNorm ? G("self_attn.k_norm.weight") : null;
            XnAttn = a[p + "x_norm_attn"];
            QRaw = c.QkNorm ? a[p + "q_raw"] : null;
            KRaw = c.QkNorm ? a[p + "k_raw"] : null;
            Q_ = a[p + "q"];
            K_ = a[p + "k"];
            V_ = a[p + "v"];
            Probs = a[p + "probs"];
            Att = a[p + "attention"];
            XnFfn = a[p + "x_norm_ffn"];
            GateAct = a[p + "gate"];
            UpAct = a[p + "up"];
            Act = a[p + "act"];
        }

        public LlamaLayerWeights Weights { get; }
        public TrainLinear Q { get; }
        public TrainLinear K { get; }
        public TrainLinear V { get; }
        public TrainLinear O { get; }
        public TrainLinear Gate { get; }
        public TrainLinear Up { get; }
        public TrainLinear Down { get; }
        public Tensor? AttnNormGrad { get; }
        public Tensor? FfnNormGrad { get; }
        public Tensor? QNormGrad { get; }
        public Tensor? KNormGrad { get; }
        public Tensor XnAttn { get; }
        public Tensor? QRaw { get; }
        public Tensor? KRaw { get; }
        public Tensor Q_ { get; }
        public Tensor K_ { get; }
        public Tensor V_ { get; }
        public Tensor Probs { get; }
        public Tensor Att { get; }
        public Tensor XnFfn { get; }
        public Tensor GateAct { get; }
        public Tensor UpAct { get; }
        public Tensor Act { get; }

        public TrainLinear Linear(string module) => module switch
        {
            LlamaModules.QProj => Q,
            LlamaModules.KProj => K,
            LlamaModules.VProj => V,
            LlamaModules.OProj => O,
            LlamaModules.GateProj => Gate,
            LlamaModules.UpProj => Up,
            LlamaModules.DownProj => Down,
            _ => throw new ArgumentException($"Unknown module {module}.", nameof(module)),
        };
    }
}
