using Hone.Core;
using Hone.Models.Llama;

namespace Hone.Models.Train;

/// <summary>
/// Low-rank adaptation (LoRA, as PEFT): each targeted linear layer y = x·Wᵀ gains y += (alpha/rank)·dropout(x)·Aᵀ·Bᵀ
/// with A [rank, in] (Kaiming-uniform, seeded) and B [out, rank] (zero), and only A and B are trained.
/// </summary>
public sealed record LoraOptions
{
    /// <summary>The linear layers PEFT's <c>all-linear</c> selects in a Llama-family decoder (the classifier excluded).</summary>
    public static IReadOnlyList<string> AllLinear => LlamaModules.Linear;

    /// <summary>Rank r of the update (1..256).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Scaling numerator: the update is multiplied by Alpha / Rank.</summary>
    public float Alpha { get; init; } = 16;

    /// <summary>Dropout probability on the adapter's input (0 ≤ p &lt; 1), seeded by <see cref="Seed"/>.</summary>
    public float Dropout { get; init; }

    /// <summary>Module names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) or the single entry "all-linear".</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [LlamaModules.QProj, LlamaModules.VProj];

    /// <summary>Seed of A's initialisation and of the dropout masks.</summary>
    public int Seed { get; init; }

    /// <summary>The modules <see cref="ModulesToSave"/> may name: the token embedding and the output head.</summary>
    public static IReadOnlyList<string> SavableModules => LlamaModules.Savable;

    /// <summary>
    /// Modules trained in full beside the adapters (PEFT's <c>modules_to_save</c>): <c>embed_tokens</c> and/or
    /// <c>lm_head</c>. Needed to teach the model a token the base never used (e.g. a new end-of-turn token), whose rows
    /// LoRA cannot change. Empty (the default): only the adapters train.
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>
    /// The type the frozen base's layer linears are held in while the adapters train: <see cref="LoraBaseType.F32"/>
    /// (default) or <see cref="LoraBaseType.BF16"/>, half the bytes (the model must then hold them as BF16:
    /// <see cref="BF16Base.Convert"/>). The adapters and everything trained stay float32.
    /// </summary>
    public LoraBaseType BaseType { get; init; } = LoraBaseType.F32;

    /// <summary>
    /// Token ids whose rows of the token embedding (and, on an untied model, of the output head) train beside the
    /// adapters (PEFT's <c>trainable_token_indices</c>): the rest of both matrices stays frozen and bit-identical. For
    /// tokens the base never learned (e.g. words a tokenizer met only in a system prompt), whose rows LoRA cannot change.
    /// Each row starts from the base's and replaces it where the adapter applies. Empty (the default): none.
    /// </summary>
    public IReadOnlyList<int> TrainableTokenIndices { get; init; } = [];

    /// <summary>Alpha / Rank.</summary>
    public float Scale => Alpha / Rank;

    /// <summary>The targeted module names, "all-linear" expanded; checks every option once.</summary>
    /// <exception cref="ArgumentException">An option is out of range or a module name is unknown.</exception>
    public IReadOnlyList<string> ResolveTargets()
    {
        if (Rank is < 1 or > 256)
        {
            throw new ArgumentException($"LoRA rank {Rank} must be in 1..256.", nameof(Rank));
        }

        if (!float.IsFinite(Alpha) || Alpha <= 0)
        {
            throw new ArgumentException($"LoRA alpha {Alpha} must be positive.", nameof(Alpha));
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"LoRA dropout {Dropout} must be in [0, 1).", nameof(Dropout));
        }

        if (TargetModules is null || TargetModules.Count == 0)
        {
            throw new ArgumentException("LoRA needs at least one target module (or \"all-linear\").", nameof(TargetModules));
        }

        ResolveModulesToSave();
        if (TrainableTokenIndices is { Count: > 0 })
        {
            ResolveTrainableTokens(int.MaxValue);
        }

        if (TargetModules.Count == 1 && TargetModules[0] == "all-linear")
        {
            return AllLinear;
        }

        foreach (var m in TargetModules)
        {
            if (!AllLinear.Contains(m))
            {
                throw new ArgumentException(
                    $"Unknown LoRA target module \"{m}\"; use {string.Join(", ", AllLinear)} or \"all-linear\" alone.", nameof(TargetModules));
            }
        }

        return TargetModules.Distinct().ToArray();
    }

    /// <summary>The modules to save, checked, without repeats, in <see cref="SavableModules"/> order.</summary>
    /// <exception cref="ArgumentException">A name is not embed_tokens or lm_head.</exception>
    public IReadOnlyList<string> ResolveModulesToSave()
    {
        if (ModulesToSave is null || ModulesToSave.Count == 0)
        {
            return [];
        }

        foreach (var m in ModulesToSave)
        {
            if (!SavableModules.Contains(m))
            {
                throw new ArgumentException(
                    $"Unknown module to save \"{m}\"; use {string.Join(" and/or ", SavableModules)} (trained in full beside the adapters).", nameof(ModulesToSave));
            }
        }

        return SavableModules.Where(ModulesToSave.Contains).ToArray();
    }

    /// <summary>The trainable token ids, checked against a vocabulary of <paramref name="vocabSize"/>, ascending, without repeats.</summary>
    /// <exception cref="LoraOptionsException">An id is negative or not below <paramref name="vocabSize"/>, or modules to
    /// save already train the whole matrices.</exception>
    public int[] ResolveTrainableTokens(int vocabSize)
    {
        if (TrainableTokenIndices is null || TrainableTokenIndices.Count == 0)
        {
            return [];
        }

        foreach (int id in TrainableTokenIndices)
        {
            if (id < 0 || id >= vocabSize)
            {
                throw new LoraOptionsException(
                    $"Trainable token id {id} is not in the model's vocabulary (0..{vocabSize - 1}); give ids the tokenizer produces.") { Field = nameof(TrainableTokenIndices) };
            }
        }

        if (ModulesToSave is { Count: > 0 })
        {
            throw new LoraOptionsException(
                $"Trainable tokens and modules to save ({string.Join(", ", ModulesToSave)}) both train the embedding or head rows; use one of them.") { Field = nameof(TrainableTokenIndices) };
        }

        var ids = TrainableTokenIndices.Distinct().ToArray();
        Array.Sort(ids);
        return ids;
    }
}

/// <summary>A LoRA option names something the model does not have (e.g. a trainable token id outside its vocabulary).</summary>
public sealed class LoraOptionsException : HoneException
{
    /// <summary>An exception with no message.</summary>
    public LoraOptionsException() : base(ErrorKind.Input, "Invalid LoRA options.") { }

    /// <summary>An exception with a message.</summary>
    public LoraOptionsException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>An exception with a message and its cause.</summary>
    public LoraOptionsException(string message, Exception innerException) : base(ErrorKind.Input, message, null, innerException) { }

    /// <summary>The option at fault.</summary>
    public string? Field { get; init; }

    /// <inheritdoc />
    public override ErrorLocation? Location => Field is null ? null : new(Field: Field);
}

/// <summary>The type a LoRA run holds its frozen base's layer linears in (<see cref="LoraOptions.BaseType"/>).</summary>
public enum LoraBaseType
{
    /// <summary>float32, as loaded.</summary>
    F32,

    /// <summary>bfloat16 (<see cref="BF16Base"/>): half the bytes; products widen the weights in registers.</summary>
    BF16,
}

/// <summary>
/// Seeded, counter-based dropout masks for LoRA inputs: the keep/drop decision of element i is a hash of
/// (seed, step, layer, module, i), so the backward pass regenerates the forward's mask without storing it.
/// </summary>
public static class LoraDropout
{
    /// <summary>The key of one adapter's mask at one training step.</summary>
    public static ulong Key(int seed, long step, int layer, int module) =>
        Mix(Mix(Mix((ulong)(uint)seed ^ 0x9E3779B97F4A7C15UL) ^ (ulong)step) ^ (((ulong)(uint)layer << 8) | (uint)module));

    /// <summary>The mask value of element <paramref name="index"/>: 0 (dropped, with probability p) or 1/(1−p).</summary>
    public static float Mask(ulong key, long index, float p) =>
        (Mix(key + (ulong)index) >> 40) * (1.0 / (1UL << 24)) < p ? 0f : 1f / (1f - p);

    /// <summary>y = x ⊙ mask. Shapes: x, y [n] (y may be x); element i of the span is mask index i.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, ulong key, float p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, x.Length, nameof(y));
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * Mask(key, i, p);
        }
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
