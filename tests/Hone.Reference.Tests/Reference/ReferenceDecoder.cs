using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Reference.Tests.Autodiff;

namespace Hone.Reference.Tests.Reference;

/// <summary>
/// A Llama-family decoder written from the architectures' definitions on the reference tape, one sequence at a time
/// (positions 0..T−1, causal, optionally a sliding window): token embedding; per layer pre-norm attention (RMSNorm,
/// q/k/v projections with optional biases (Qwen2), optional per-head RMSNorm of q and k (Qwen3), RoPE with θ and
/// optional Llama-3 frequency scaling, grouped-query attention, output projection, residual) and pre-norm SwiGLU
/// (down(silu(gate(x)) ⊙ up(x)), residual); final RMSNorm; classifier (tied to the embedding or its own).
/// With LoRA, every adapted linear adds (α/r)·(dropout(x)·Aᵀ)·Bᵀ (PEFT), and trained copies of the embedding and the
/// head (PEFT's modules_to_save) replace the base's where the parameters hold them. Parameters are read by their Hugging
/// Face / PEFT names. Nothing of Hone's engine is used: only its config record (the architecture's description), its LoRA
/// options and its dropout hash (the random bits of the masks).
/// </summary>
internal sealed class ReferenceDecoder(LlamaConfig c, LoraOptions? lora = null)
{
    /// <summary>The linear modules in the order of Hone's dropout keys.</summary>
    public static IReadOnlyList<string> Modules { get; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>
    /// LoRA dropout mask value of (layer, module index, position t of the sequence, input j, input width), or null for
    /// no dropout (evaluation, or p = 0).
    /// </summary>
    public Func<int, int, int, int, int, double>? DropoutMask { get; init; }

    public LlamaConfig Config => c;

    /// <summary>Logits [T, vocab] of one sequence.</summary>
    public DTensor Logits(Tape tape, IReadOnlyDictionary<string, DTensor> p, int[] tokens)
    {
        int T = tokens.Length;
        var positions = Enumerable.Range(0, T).ToArray();
        var freq = RopeFrequencies(c);
        bool interleaved = c.RopeLayout == RopeLayout.Interleaved;
        var x = tape.Embedding(Embedding(p), tokens);
        for (int l = 0; l < c.Layers; l++)
        {
            string L(string s) => $"model.layers.{l}.{s}";
            var h = tape.RmsNorm(x, p[L("input_layernorm.weight")], c.RmsEps);
            var q = Linear(tape, p, l, 0, h);
            var k = Linear(tape, p, l, 1, h);
            var v = Linear(tape, p, l, 2, h);
            if (c.QkNorm)
            {
                q = tape.Reshape(tape.RmsNorm(tape.Reshape(q, T * c.Heads, c.HeadDim), p[L("self_attn.q_norm.weight")], c.RmsEps), T, c.QDim);
                k = tape.Reshape(tape.RmsNorm(tape.Reshape(k, T * c.KvHeads, c.HeadDim), p[L("self_attn.k_norm.weight")], c.RmsEps), T, c.KvDim);
            }

            q = tape.Rope(q, c.Heads, positions, freq, interleaved);
            k = tape.Rope(k, c.KvHeads, positions, freq, interleaved);
            var probs = tape.MaskedSoftmax(tape.AttentionScores(q, k, c.Heads, c.KvHeads), Visible);
            var attended = tape.AttendValues(probs, v, c.KvHeads);
            x = tape.Add(x, Linear(tape, p, l, 3, attended));

            h = tape.RmsNorm(x, p[L("post_attention_layernorm.weight")], c.RmsEps);
            var act = tape.Mul(tape.Silu(Linear(tape, p, l, 4, h)), Linear(tape, p, l, 5, h));
            x = tape.Add(x, Linear(tape, p, l, 6, act));
        }

        x = tape.RmsNorm(x, p["model.norm.weight"], c.RmsEps);
        return tape.MatMulT(x, Head(p));
    }

    /// <summary>
    /// The input embedding: with LoRA, the trained copy (modules_to_save) when the parameters hold one, else the base's.
    /// Without LoRA (the base model, as DPO's frozen reference) always the base's: PEFT's wrapper passes through to the
    /// original module when the adapters are off.
    /// </summary>
    private DTensor Embedding(IReadOnlyDictionary<string, DTensor> p) =>
        lora is not null && p.TryGetValue(LlamaTrainer.SavedName("embed_tokens"), out var e) ? e : p["model.embed_tokens.weight"];

    /// <summary>
    /// The classifier: tied, the (possibly trained) embedding itself, so both uses train one matrix (PEFT's
    /// ensure_weight_tying); untied, with LoRA the trained lm_head copy when the parameters hold one, else the base's.
    /// </summary>
    private DTensor Head(IReadOnlyDictionary<string, DTensor> p) =>
        c.TiedEmbeddings ? Embedding(p)
        : lora is not null && p.TryGetValue(LlamaTrainer.SavedName("lm_head"), out var h) ? h : p["lm_head.weight"];

    /// <summary>Causal attention, limited to the last <see cref="LlamaConfig.SlidingWindow"/> positions (itself included) when set.</summary>
    private bool Visible(int t, int j) => j <= t && (c.SlidingWindow is not { } w || t - j < w);

    /// <summary>
    /// RoPE frequencies θ^(−2i/hd), i = 0..hd/2−1, then Llama-3 scaling (Hugging Face's <c>rope_type = "llama3"</c>):
    /// with wavelength λ = 2π/f, λ_hi = L/high, λ_lo = L/low (L the original context): f kept when λ &lt; λ_hi, f/factor
    /// when λ &gt; λ_lo, else (1 − s)·f/factor + s·f with s = (L/λ − low)/(high − low).
    /// </summary>
    public static double[] RopeFrequencies(LlamaConfig c)
    {
        var freq = new double[c.HeadDim / 2];
        for (int i = 0; i < freq.Length; i++)
        {
            freq[i] = Math.Pow(c.RopeTheta, -2.0 * i / c.HeadDim);
            if (c.RopeScaling is not { } s)
            {
                continue;
            }

            double wavelength = 2 * Math.PI / freq[i];
            double hiWavelength = s.OriginalMaxPositions / s.HighFreqFactor, loWavelength = s.OriginalMaxPositions / s.LowFreqFactor;
            if (wavelength > loWavelength)
            {
                freq[i] /= s.Factor;
            }
            else if (wavelength >= hiWavelength)
            {
                double smooth = ((s.OriginalMaxPositions / wavelength) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                freq[i] = ((1 - smooth) * freq[i] / s.Factor) + (smooth * freq[i]);
            }
        }

        return freq;
    }

    /// <summary>y = x·Wᵀ (+ b for q/k/v with biases) (+ (α/r)·(dropout(x)·Aᵀ)·Bᵀ when the module has an adapter in p).</summary>
    private DTensor Linear(Tape tape, IReadOnlyDictionary<string, DTensor> p, int layer, int module, DTensor x)
    {
        string name = Modules[module];
        string prefix = $"model.layers.{layer}.{(module >= 4 ? "mlp" : "self_attn")}.{name}";
        var y = tape.MatMulT(x, p[prefix + ".weight"]);
        if (c.QkvBias && module < 3)
        {
            y = tape.AddBias(y, p[prefix + ".bias"]);
        }

        if (lora is null || !p.TryGetValue(LlamaTrainer.LoraName(layer, name, "A"), out var a))
        {
            return y;
        }

        var input = x;
        if (DropoutMask is { } mask)
        {
            int inputs = x.Cols;
            var m = new double[x.Length];
            for (int t = 0; t < x.Rows; t++)
            {
                for (int j = 0; j < inputs; j++)
                {
                    m[(t * inputs) + j] = mask(layer, module, t, j, inputs);
                }
            }

            input = tape.Mul(x, DTensor.Constant(m, x.Shape));
        }

        var update = tape.MatMulT(tape.MatMulT(input, a), p[LlamaTrainer.LoraName(layer, name, "B")]);
        return tape.Add(y, tape.Scale(update, (double)lora.Alpha / lora.Rank));
    }
}
