using Hone.Numerics;

namespace Hone.Models.Gpt2;

/// <summary>The weights of one GPT-2 block, views into the model's arena. Conv1D matrices are [in, out] row-major.</summary>
public sealed class Gpt2LayerWeights
{
    /// <summary>LayerNorm before attention: weight and bias [dim].</summary>
    public required Tensor Ln1Weight { get; init; }

    /// <summary>LayerNorm before attention: bias [dim].</summary>
    public required Tensor Ln1Bias { get; init; }

    /// <summary>Fused q/k/v projection [dim, 3·dim] (columns: q, then k, then v).</summary>
    public required Tensor AttnWeight { get; init; }

    /// <summary>Fused q/k/v bias [3·dim].</summary>
    public required Tensor AttnBias { get; init; }

    /// <summary>Attention output projection [dim, dim].</summary>
    public required Tensor ProjWeight { get; init; }

    /// <summary>Attention output bias [dim].</summary>
    public required Tensor ProjBias { get; init; }

    /// <summary>LayerNorm before the MLP: weight [dim].</summary>
    public required Tensor Ln2Weight { get; init; }

    /// <summary>LayerNorm before the MLP: bias [dim].</summary>
    public required Tensor Ln2Bias { get; init; }

    /// <summary>MLP up projection [dim, hidden].</summary>
    public required Tensor FcWeight { get; init; }

    /// <summary>MLP up bias [hidden].</summary>
    public required Tensor FcBias { get; init; }

    /// <summary>MLP down projection [hidden, dim].</summary>
    public required Tensor FcProjWeight { get; init; }

    /// <summary>MLP down bias [dim].</summary>
    public required Tensor FcProjBias { get; init; }
}

/// <summary>
/// All weights of a GPT-2 model in one 64-byte-aligned <see cref="Arena"/> (float32), named as Hugging Face's
/// <c>GPT2Model</c> names them ("wte.weight", "h.3.attn.c_attn.weight", ...). The classifier is the token embedding.
/// </summary>
public sealed class Gpt2Weights : IDisposable
{
    private Gpt2Weights(Arena arena, Gpt2Config config, Gpt2LayerWeights[] layers)
    {
        Arena = arena;
        Config = config;
        Layers = layers;
        TokenEmbedding = arena["wte.weight"];
        PositionEmbedding = arena["wpe.weight"];
        FinalNormWeight = arena["ln_f.weight"];
        FinalNormBias = arena["ln_f.bias"];
    }

    /// <summary>The arena holding every weight.</summary>
    public Arena Arena { get; }

    /// <summary>The configuration the shapes follow.</summary>
    public Gpt2Config Config { get; }

    /// <summary>Per-block weights.</summary>
    public IReadOnlyList<Gpt2LayerWeights> Layers { get; }

    /// <summary>Token embedding [vocab, dim], also the classifier.</summary>
    public Tensor TokenEmbedding { get; }

    /// <summary>Learned position embedding [positions, dim].</summary>
    public Tensor PositionEmbedding { get; }

    /// <summary>Final LayerNorm weight [dim].</summary>
    public Tensor FinalNormWeight { get; }

    /// <summary>Final LayerNorm bias [dim].</summary>
    public Tensor FinalNormBias { get; }

    /// <summary>The (name, shape) of every tensor, in a fixed order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Manifest(Gpt2Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var list = new List<(string, int[])> { ("wte.weight", [c.VocabSize, c.Dim]), ("wpe.weight", [c.MaxSeqLen, c.Dim]) };
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"h.{l}.";
            list.Add((p + "ln_1.weight", [c.Dim]));
            list.Add((p + "ln_1.bias", [c.Dim]));
            list.Add((p + "attn.c_attn.weight", [c.Dim, 3 * c.Dim]));
            list.Add((p + "attn.c_attn.bias", [3 * c.Dim]));
            list.Add((p + "attn.c_proj.weight", [c.Dim, c.Dim]));
            list.Add((p + "attn.c_proj.bias", [c.Dim]));
            list.Add((p + "ln_2.weight", [c.Dim]));
            list.Add((p + "ln_2.bias", [c.Dim]));
            list.Add((p + "mlp.c_fc.weight", [c.Dim, c.HiddenDim]));
            list.Add((p + "mlp.c_fc.bias", [c.HiddenDim]));
            list.Add((p + "mlp.c_proj.weight", [c.HiddenDim, c.Dim]));
            list.Add((p + "mlp.c_proj.bias", [c.Dim]));
        }

        list.Add(("ln_f.weight", [c.Dim]));
        list.Add(("ln_f.bias", [c.Dim]));
        return list;
    }

    /// <summary>Bytes of the float32 arena <paramref name="config"/> needs (<see cref="long.MaxValue"/> when that overflows).</summary>
    public static long ArenaBytes(Gpt2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ModelMemory.ArenaBytes(Manifest(config).Select(m => ModelMemory.Elements(m.Shape)));
    }

    /// <summary>
    /// Carves a zeroed arena for <paramref name="config"/>; <paramref name="fill"/> writes each tensor in manifest order.
    /// The arena is first checked against the memory this process may use; <paramref name="source"/> names the model.
    /// </summary>
    /// <exception cref="ModelLoadException">The weights would not fit in memory.</exception>
    public static Gpt2Weights Create(Gpt2Config config, Action<string, Tensor>? fill = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var manifest = Manifest(config);
        ModelMemory.Check(ArenaBytes(config), config.Describe(), source ?? "gpt2");
        var arena = new Arena(Math.Max(1, Arena.FloatsFor(manifest.Select(m => m.Shape.Aggregate(1L, (a, b) => checked(a * b))).ToArray())));
        try
        {
            foreach (var (name, shape) in manifest)
            {
                var t = arena.Allocate(name, shape);
                fill?.Invoke(name, t);
            }

            var layers = new Gpt2LayerWeights[config.Layers];
            for (int l = 0; l < config.Layers; l++)
            {
                Tensor T(string suffix) => arena[$"h.{l}.{suffix}"];
                layers[l] = new Gpt2LayerWeights
                {
                    Ln1Weight = T("ln_1.weight"),
                    Ln1Bias = T("ln_1.bias"),
                    AttnWeight = T("attn.c_attn.weight"),
                    AttnBias = T("attn.c_attn.bias"),
                    ProjWeight = T("attn.c_proj.weight"),
                    ProjBias = T("attn.c_proj.bias"),
                    Ln2Weight = T("ln_2.weight"),
                    Ln2Bias = T("ln_2.bias"),
                    FcWeight = T("mlp.c_fc.weight"),
                    FcBias = T("mlp.c_fc.bias"),
                    FcProjWeight = T("mlp.c_proj.weight"),
                    FcProjBias = T("mlp.c_proj.bias"),
                };
            }

            return new Gpt2Weights(arena, config, layers);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>Frees the arena.</summary>
    public void Dispose() => Arena.Dispose();
}
