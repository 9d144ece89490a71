namespace Hone.Models.Llama;

/// <summary>
/// The Hugging Face names of a Llama-family decoder's modules, the one list adapters, LoRA options, training and export
/// share: the seven linear layers of a block (attention q/k/v/o under <c>self_attn</c>, the gated MLP under <c>mlp</c>)
/// and the two vocabulary-sized modules (<c>embed_tokens</c>, <c>lm_head</c>).
/// </summary>
public static class LlamaModules
{
    /// <summary><c>q_proj</c>: attention queries [q_dim, dim].</summary>
    public const string QProj = "q_proj";

    /// <summary><c>k_proj</c>: attention keys [kv_dim, dim].</summary>
    public const string KProj = "k_proj";

    /// <summary><c>v_proj</c>: attention values [kv_dim, dim].</summary>
    public const string VProj = "v_proj";

    /// <summary><c>o_proj</c>: attention output [dim, q_dim].</summary>
    public const string OProj = "o_proj";

    /// <summary><c>gate_proj</c>: MLP gate [hidden, dim].</summary>
    public const string GateProj = "gate_proj";

    /// <summary><c>up_proj</c>: MLP up projection [hidden, dim].</summary>
    public const string UpProj = "up_proj";

    /// <summary><c>down_proj</c>: MLP down projection [dim, hidden].</summary>
    public const string DownProj = "down_proj";

    /// <summary><c>embed_tokens</c>: the token embedding [vocab, dim].</summary>
    public const string EmbedTokens = "embed_tokens";

    /// <summary><c>lm_head</c>: the output head [vocab, dim].</summary>
    public const string LmHead = "lm_head";

    /// <summary>The linear layers of a block in PEFT order (what <c>all-linear</c> selects; the classifier excluded).</summary>
    public static IReadOnlyList<string> Linear { get; } = [QProj, KProj, VProj, OProj, GateProj, UpProj, DownProj];

    /// <summary>The modules trained in full beside LoRA pairs (PEFT's <c>modules_to_save</c>), in PEFT order.</summary>
    public static IReadOnlyList<string> Savable { get; } = [EmbedTokens, LmHead];

    /// <summary>The submodule a linear layer lives in: "mlp" for gate/up/down, "self_attn" for the others.</summary>
    public static string BlockOf(string module) => module is GateProj or UpProj or DownProj ? "mlp" : "self_attn";

    /// <summary>(out, in) of a linear layer's weight under <paramref name="c"/>.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="Linear"/>.</exception>
    public static (int Out, int In) Shape(LlamaConfig c, string module)
    {
        ArgumentNullException.ThrowIfNull(c);
        return module switch
        {
            QProj => (c.QDim, c.Dim),
            KProj or VProj => (c.KvDim, c.Dim),
            OProj => (c.Dim, c.QDim),
            GateProj or UpProj => (c.HiddenDim, c.Dim),
            DownProj => (c.Dim, c.HiddenDim),
            _ => throw new ArgumentException($"Unknown LoRA module '{module}'; use one of {string.Join(", ", Linear)}.", nameof(module)),
        };
    }
}
