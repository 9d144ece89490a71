using Hone.Models.Llama;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// The trainer's memory: one arena carved once for (rows, sequence length) with, by name, the residual stream, every
/// activation each layer saves for its backward, the gradient-flow buffers and scratch the layers share, the logits,
/// the LoRA adapters and every gradient (see <see cref="Plan"/> for the layout). A training step only reads and
/// writes views into it, so it allocates nothing. This class holds the shared buffers; the layers, the classifier and
/// the modules to save bind their own tensors by name.
/// </summary>
internal sealed class TrainerArena : IDisposable
{
    private readonly int _dim;
    private readonly int _capacity;
    private readonly int _layers;

    /// <summary>
    /// Plans and carves the arena.
    /// </summary>
    /// <param name="c">The model's configuration.</param>
    /// <param name="maxRows">Rows per batch.</param>
    /// <param name="maxSequenceLength">Positions per row.</param>
    /// <param name="chunk">Positions whose logits are held at once.</param>
    /// <param name="threads">Workers the attention runs on (one attention scratch each).</param>
    /// <param name="lora">LoRA options, or null for full fine-tuning (a gradient for every weight).</param>
    /// <param name="targets">The modules that carry adapters.</param>
    /// <param name="saveEmbed">Whether a trained copy of the token embedding is held (LoRA's modules to save).</param>
    /// <param name="saveHead">Whether a trained copy of the output head is held.</param>
    /// <param name="recompute">Whether the layers recompute their forward in the backward (activation checkpointing):
    /// then only each layer's input is kept, and one set of activation buffers serves every layer.</param>
    /// <param name="trainableTokens">How many token rows train (LoRA's trainable tokens, <see cref="TrainableTokens"/>); 0 for none.</param>
    public TrainerArena(LlamaConfig c, int maxRows, int maxSequenceLength, int chunk, int threads, LoraOptions? lora,
        IReadOnlyList<string> targets, bool saveEmbed, bool saveHead, bool recompute, int trainableTokens = 0)
    {
        _dim = c.Dim;
        _layers = c.Layers;
        _capacity = checked(maxRows * maxSequenceLength);
        Recompute = recompute;
        var plan = new ArenaPlan();
        Plan(plan, c, _capacity, maxSequenceLength, chunk, threads, lora, targets, saveEmbed, saveHead, recompute);
        if (trainableTokens > 0)
        {
            TrainableTokens.Plan(plan.Add, c, trainableTokens);
        }

        Arena = plan.Create();
        try
        {
            var a = Arena;
            Residuals = a["res"];
            FinalNormOut = a["x_norm_final"];
            RopeCos = a["rope_cos"];
            RopeSin = a["rope_sin"];
            DRes = a["d_res"];
            DNormOut = a["d_x_norm"];
            DQ = a["d_q"];
            DK = a["d_k"];
            DV = a["d_v"];
            DAttention = a["d_attention"];
            DGate = a["d_gate"];
            DUp = a["d_up"];
            DAct = a["d_act"];
            AttentionScratch = a["attention_scratch"];
            NormScratch = a["norm_scratch"];
            FrozenNormGrad = a["frozen_norm_grad"];
            Linear = new LinearScratch
            {
                Transposed = a["s_transposed"], WeightGrad = a["s_weight_grad"], DxPart = a["s_dx_part"], OutPart = a["s_out_part"],
                Dropped = a["s_dropped"], Du = a["s_du"], DuT = a["s_du_t"], BTransposed = a["s_b_t"],
            };
            c.RopeTables(maxSequenceLength, RopeCos.Span, RopeSin.Span);
        }
        catch
        {
            Arena.Dispose();
            throw;
        }
    }

    /// <summary>Whether the layers share one set of activation buffers and recompute their forward in the backward.</summary>
    public bool Recompute { get; }

    /// <summary>The arena itself (every tensor, by name).</summary>
    public Arena Arena { get; }

    /// <summary>The residual stream, 2·layers + 1 states of [rows·seq, dim] (see <see cref="Residual"/>); with
    /// <see cref="Recompute"/>, layers + 1 (each layer's input and the last output) and one shared attention output.</summary>
    public Tensor Residuals { get; }

    /// <summary>The final norm's output [rows·seq, dim], the classifier's input.</summary>
    public Tensor FinalNormOut { get; }

    /// <summary>RoPE cosines [maxSeq, headDim/2].</summary>
    public Tensor RopeCos { get; }

    /// <summary>RoPE sines [maxSeq, headDim/2].</summary>
    public Tensor RopeSin { get; }

    /// <summary>dL/d residual [rows·seq, dim], carried down through the layers.</summary>
    public Tensor DRes { get; }

    /// <summary>dL/d a norm's output [rows·seq, dim]; in the forward, a block's projection before it joins the residual.</summary>
    public Tensor DNormOut { get; }

    /// <summary>dL/dq [rows·seq, qDim].</summary>
    public Tensor DQ { get; }

    /// <summary>dL/dk [rows·seq, kvDim].</summary>
    public Tensor DK { get; }

    /// <summary>dL/dv [rows·seq, kvDim].</summary>
    public Tensor DV { get; }

    /// <summary>dL/d attention output [rows·seq, qDim].</summary>
    public Tensor DAttention { get; }

    /// <summary>dL/d gate [rows·seq, hidden].</summary>
    public Tensor DGate { get; }

    /// <summary>dL/d up [rows·seq, hidden].</summary>
    public Tensor DUp { get; }

    /// <summary>dL/d SwiGLU output [rows·seq, hidden].</summary>
    public Tensor DAct { get; }

    /// <summary>Attention backward scratch, one slice per worker.</summary>
    public Tensor AttentionScratch { get; }

    /// <summary>RMSNorm backward scratch.</summary>
    public Tensor NormScratch { get; }

    /// <summary>Where the gradient of a frozen norm weight goes (discarded).</summary>
    public Tensor FrozenNormGrad { get; }

    /// <summary>Scratch the linear backward passes share.</summary>
    public LinearScratch Linear { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public Tensor this[string name] => Arena[name];

    /// <summary>Residual stream state <paramref name="state"/> of the first <paramref name="n"/> positions: 2l is layer
    /// l's input, 2l+1 its attention output, 2·layers the last. With <see cref="Recompute"/> every attention output
    /// shares one slot (valid from a layer's forward to the end of its backward).</summary>
    public Span<float> Residual(int state, int n)
    {
        int slot = !Recompute ? state : state % 2 == 0 ? state / 2 : _layers + 1;
        return Residuals.Span.Slice(slot * _capacity * _dim, n * _dim);
    }

    /// <summary>The layer whose names hold layer <paramref name="layer"/>'s saved activations: itself, or layer 0's
    /// (shared by every layer) with <see cref="Recompute"/>.</summary>
    public int ActivationLayer(int layer) => Recompute ? 0 : layer;

    /// <summary>Name of the gradient of the tensor <paramref name="name"/>.</summary>
    public static string GradName(string name) => "grad:" + name;

    /// <summary>The PEFT name of a module trained in full beside the adapters (embed_tokens or lm_head).</summary>
    public static string SavedName(string module) => Adapters.PeftAdapter.SavedModuleName(module);

    /// <summary>The PEFT name of a LoRA matrix ("A" or "B") of one module of one layer.</summary>
    public static string LoraName(int layer, string module, string matrix) => Adapters.PeftAdapter.TensorName(layer, module, matrix);

    /// <summary>Name of the low-rank activation u of one adapter.</summary>
    public static string LoraActivationName(int layer, string module) => $"u:{layer}.{module}";

    /// <summary>Prefix of the activations layer <paramref name="layer"/> saves.</summary>
    public static string LayerPrefix(int layer) => $"layer{layer}.";

    /// <summary>Frees the arena.</summary>
    public void Dispose() => Arena.Dispose();

    /// <summary>The layout: shared buffers and scratch, then each layer's saved activations and adapters, then the
    /// weight gradients (full fine-tuning), then the modules to save (the trainable tokens' follow, planned by
    /// <see cref="TrainableTokens.Plan"/>).</summary>
    private static void Plan(ArenaPlan plan, LlamaConfig c, int n, int maxSeq, int chunk, int threads, LoraOptions? lora,
        IReadOnlyList<string> targets, bool saveEmbed, bool saveHead, bool recompute)
    {
        int maxIn = Math.Max(c.Dim, Math.Max(c.QDim, c.HiddenDim));
        int maxOut = Math.Max(maxIn, c.KvDim);
        int rank = lora?.Rank ?? 1;
        bool isLora = lora is not null;
        plan.Add("res", recompute ? c.Layers + 2 : (2 * c.Layers) + 1, n, c.Dim);
        plan.Add("x_norm_final", n, c.Dim);
        plan.Add("rope_cos", maxSeq, c.HeadDim / 2);
        plan.Add("rope_sin", maxSeq, c.HeadDim / 2);
        plan.Add("gathered", chunk, c.Dim);
        plan.Add("logits", chunk, c.VocabSize);
        plan.Add("d_res", n, c.Dim);
        plan.Add("d_x_norm", n, c.Dim);
        plan.Add("d_q", n, c.QDim);
        plan.Add("d_k", n, c.KvDim);
        plan.Add("d_v", n, c.KvDim);
        plan.Add("d_attention", n, c.QDim);
        plan.Add("d_gate", n, c.HiddenDim);
        plan.Add("d_up", n, c.HiddenDim);
        plan.Add("d_act", n, c.HiddenDim);
        plan.Add("attention_scratch", threads, checked((int)AttentionSequence.BackwardSequenceScratchFloats(maxSeq, 0, c.HeadDim)));
        plan.Add("norm_scratch", Math.Max(c.Dim, c.HeadDim));
        plan.Add("frozen_norm_grad", Math.Max(c.Dim, c.HeadDim));
        plan.Add("s_transposed", n, maxOut);
        plan.Add("s_weight_grad", rank, isLora ? maxOut : 1);
        plan.Add("s_dx_part", n, maxIn);
        plan.Add("s_out_part", isLora ? n : 1, maxOut);
        plan.Add("s_dropped", lora is { Dropout: > 0 } ? n : 1, maxIn);
        plan.Add("s_du", n, rank);
        plan.Add("s_du_t", rank, n);
        plan.Add("s_b_t", rank, isLora ? maxOut : 1);
        for (int l = 0; l < c.Layers; l++)
        {
            bool activations = !recompute || l == 0;
            string p = LayerPrefix(l);
            if (activations)
            {
                AddLayerActivations(plan, c, n, maxSeq, p);
            }

            foreach (var module in targets)
            {
                var (outputs, inputs) = LlamaModules.Shape(c, module);
                string name = LoraName(l, module, "A");
                plan.Add(name, lora!.Rank, inputs);
                plan.Add(GradName(name), lora.Rank, inputs);
                name = LoraName(l, module, "B");
                plan.Add(name, outputs, lora.Rank);
                plan.Add(GradName(name), outputs, lora.Rank);
                if (activations)
                {
                    plan.Add(LoraActivationName(l, module), n, lora.Rank);
                }
            }
        }

        if (!isLora)
        {
            foreach (var (name, shape) in LlamaWeights.Manifest(c))
            {
                plan.Add(GradName(name), shape);
            }
        }

        if (saveEmbed)
        {
            plan.Add(SavedName(LlamaModules.EmbedTokens), c.VocabSize, c.Dim);
            plan.Add(GradName(SavedName(LlamaModules.EmbedTokens)), c.VocabSize, c.Dim);
        }

        if (saveHead && !c.TiedEmbeddings)
        {
            plan.Add(SavedName(LlamaModules.LmHead), c.VocabSize, c.Dim);
            plan.Add(GradName(SavedName(LlamaModules.LmHead)), c.VocabSize, c.Dim);
        }
    }

    /// <summary>The activations one layer's forward saves for its backward, named with prefix <paramref name="p"/>.</summary>
    private static void AddLayerActivations(ArenaPlan plan, LlamaConfig c, int n, int maxSeq, string p)
    {
        plan.Add(p + "x_norm_attn", n, c.Dim);
        if (c.QkNorm)
        {
            plan.Add(p + "q_raw", n, c.QDim);
            plan.Add(p + "k_raw", n, c.KvDim);
        }

        plan.Add(p + "q", n, c.QDim);
        plan.Add(p + "k", n, c.KvDim);
        plan.Add(p + "v", n, c.KvDim);
        plan.Add(p + "probs", n, c.Heads, maxSeq);
        plan.Add(p + "attention", n, c.QDim);
        plan.Add(p + "x_norm_ffn", n, c.Dim);
        plan.Add(p + "gate", n, c.HiddenDim);
        plan.Add(p + "up", n, c.HiddenDim);
        plan.Add(p + "act", n, c.HiddenDim);
    }

    /// <summary>Collects (name, shape) pairs, then carves one arena for all of them.</summary>
    private sealed class ArenaPlan
    {
        private readonly List<(string Name, int[] Shape)> _items = [];

        public void Add(string name, params int[] shape) => _items.Add((name, shape));

        public Arena Create()
        {
            var lengths = _items.Select(i => i.Shape.Aggregate(1L, (a, b) => checked(a * b))).ToArray();
            var arena = new Arena(Arena.FloatsFor(lengths));
            try
            {
                foreach (var (name, shape) in _items)
                {
                    arena.Allocate(name, shape);
                }

                return arena;
            }
            catch
            {
                arena.Dispose();
                throw;
            }
        }
    }
}
