using System.Globalization;
using Hone.Models.Llama;

namespace Hone.Models.Adapters;

/// <summary>One LoRA pair of a PEFT adapter: A [rank, in] and B [out, rank], row-major float32, in Hugging Face row order.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Module">q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj or down_proj.</param>
/// <param name="A">Down projection [rank, in].</param>
/// <param name="B">Up projection [out, rank].</param>
public sealed record LoraPair(int Layer, string Module, float[] A, float[] B);

/// <summary>A module trained in full beside the pairs (PEFT's modules_to_save): its weight [Rows, Columns], row-major float32.</summary>
/// <param name="Rows">Rows (the vocabulary size for embed_tokens and lm_head).</param>
/// <param name="Columns">Columns (the hidden size).</param>
/// <param name="Values">Rows × Columns values.</param>
public sealed record SavedModule(int Rows, int Columns, float[] Values);

/// <summary>
/// The trained rows of chosen tokens of embed_tokens or lm_head (PEFT's <c>trainable_token_indices</c>): row s
/// [Columns] replaces the module's row <c>Indices[s]</c>. Values [Indices.Count, Columns], row-major float32.
/// </summary>
/// <param name="Indices">The token ids, one per row, without repeats.</param>
/// <param name="Columns">Columns (the hidden size).</param>
/// <param name="Values">Indices.Count × Columns values.</param>
public sealed record TokenRows(IReadOnlyList<int> Indices, int Columns, float[] Values);

/// <summary>
/// A PEFT-style LoRA adapter in memory: its settings (adapter_config.json) and its A/B pairs (adapter_model.safetensors).
/// Tensors are always in the Hugging Face (rotate-half) row order of Q and K, whatever layout the base model was loaded in.
/// </summary>
public sealed record PeftAdapter
{
    /// <summary>The modules a Llama-family adapter may target.</summary>
    public static IReadOnlyList<string> Modules => LlamaModules.Linear;

    /// <summary>Rank r.</summary>
    public required int Rank { get; init; }

    /// <summary>lora_alpha.</summary>
    public required float Alpha { get; init; }

    /// <summary>lora_dropout (training only; recorded for the config).</summary>
    public float Dropout { get; init; }

    /// <summary>use_rslora: the scale is alpha/√r instead of alpha/r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Targeted module names (as in target_modules).</summary>
    public required IReadOnlyList<string> TargetModules { get; init; }

    /// <summary>base_model_name_or_path.</summary>
    public string? BaseModel { get; init; }

    /// <summary>The pairs, ordered by layer then module.</summary>
    public required IReadOnlyList<LoraPair> Pairs { get; init; }

    /// <summary>
    /// Modules trained in full beside the pairs (PEFT's <c>modules_to_save</c>): "embed_tokens" and/or "lm_head", each
    /// [vocab, dim]. Empty for a plain LoRA adapter.
    /// </summary>
    public IReadOnlyDictionary<string, SavedModule> SavedModules { get; init; } = new Dictionary<string, SavedModule>();

    /// <summary>
    /// PEFT's <c>ensure_weight_tying</c>: on a base with tied embeddings the saved embedding and head are one tensor
    /// (without it PEFT keeps a separate copy per wrapper, and the module not saved keeps the base's rows).
    /// </summary>
    public bool EnsureWeightTying { get; init; }

    /// <summary>
    /// Trained rows of chosen tokens (PEFT's <c>trainable_token_indices</c>) by module, "embed_tokens" and/or "lm_head":
    /// applied by replacing those rows of the base's matrix. On a base with tied embeddings the embed_tokens rows serve
    /// the head too (PEFT ties the two wrappers). Empty for a plain LoRA adapter.
    /// </summary>
    public IReadOnlyDictionary<string, TokenRows> TrainableTokens { get; init; } = new Dictionary<string, TokenRows>();

    /// <summary>The names of <see cref="SavedModules"/> in PEFT order (embed_tokens, lm_head).</summary>
    public IReadOnlyList<string> ModulesToSave => [.. LlamaModules.Savable.Where(SavedModules.ContainsKey)];

    /// <summary>The factor of B·A added to W.</summary>
    public float Scale => UseRsLora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;

    /// <summary>The PEFT tensor name of a pair's A or B matrix.</summary>
    public static string TensorName(int layer, string module, string matrix) => string.Create(CultureInfo.InvariantCulture,
        $"base_model.model.model.layers.{layer}.{LlamaModules.BlockOf(module)}.{module}.lora_{matrix}.weight");

    /// <summary>
    /// The PEFT tensor name of a module trained in full (<c>modules_to_save</c>): PEFT wraps the module in a
    /// ModulesToSaveWrapper and saves its copy as <c>&lt;module path&gt;.modules_to_save.weight</c>, the adapter name removed.
    /// </summary>
    public static string SavedModuleName(string module) => module switch
    {
        LlamaModules.EmbedTokens => "base_model.model.model.embed_tokens.modules_to_save.weight",
        LlamaModules.LmHead => "base_model.model.lm_head.modules_to_save.weight",
        _ => throw new ArgumentException($"Unknown module to save '{module}'; use embed_tokens or lm_head.", nameof(module)),
    };

    /// <summary>
    /// The PEFT tensor name of a module's trainable-token rows: PEFT wraps the module in a TrainableTokensWrapper and
    /// saves <c>&lt;module path&gt;.token_adapter.trainable_tokens_delta</c> (the adapter name removed), which holds the
    /// rows themselves (PEFT writes them over the base's with index_copy).
    /// </summary>
    public static string TokenRowsName(string module) => module switch
    {
        LlamaModules.EmbedTokens => "base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta",
        LlamaModules.LmHead => "base_model.model.lm_head.token_adapter.trainable_tokens_delta",
        _ => throw new ArgumentException($"Unknown module with trainable tokens '{module}'; use embed_tokens or lm_head.", nameof(module)),
    };

    /// <summary>(out, in) of a module's weight under <paramref name="c"/>.</summary>
    public static (int Out, int In) ModuleShape(LlamaConfig c, string module) => LlamaModules.Shape(c, module);

    /// <summary>The HF weight name a module's adapter adds to.</summary>
    public static string WeightName(int layer, string module) =>
        LlamaWeights.LayerName(layer, LlamaModules.BlockOf(module) + "." + module + ".weight");

    /// <summary>Checks every pair against the base configuration (layer in range, known module, shapes).</summary>
    /// <exception cref="ModelLoadException">A pair does not fit the base model.</exception>
    public void Validate(LlamaConfig config, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Rank < 1) throw new ModelLoadException($"{source}: LoRA rank {Rank} must be ≥ 1.") { FilePath = source };
        if (!(Alpha > 0) || !float.IsFinite(Alpha)) throw new ModelLoadException($"{source}: lora_alpha {Alpha} must be a positive number.") { FilePath = source };
        foreach (var (module, saved) in SavedModules)
        {
            if (!LlamaModules.Savable.Contains(module))
                throw new ModelLoadException($"{source}: module to save '{module}' is neither embed_tokens nor lm_head.") { FilePath = source };
            if (saved.Rows != config.VocabSize || saved.Columns != config.Dim || saved.Values.Length != (long)saved.Rows * saved.Columns)
                throw new ModelLoadException(
                    $"{source}: {SavedModuleName(module)} is [{saved.Rows}, {saved.Columns}] but this base model needs [{config.VocabSize}, {config.Dim}] ({config.Describe()}); was the adapter trained on another model?") { FilePath = source };
        }

        foreach (var (module, rows) in TrainableTokens)
        {
            if (!LlamaModules.Savable.Contains(module))
                throw new ModelLoadException($"{source}: trainable tokens of '{module}': only embed_tokens and lm_head have token rows.") { FilePath = source };
            if (SavedModules.ContainsKey(module))
                throw new ModelLoadException($"{source}: {module} is both a module to save and a module with trainable tokens; the adapter is inconsistent.") { FilePath = source };
            if (rows.Columns != config.Dim || rows.Values.Length != (long)rows.Indices.Count * config.Dim)
                throw new ModelLoadException(
                    $"{source}: {TokenRowsName(module)} must be [{rows.Indices.Count}, {config.Dim}] for {rows.Indices.Count} token ids on this base model ({config.Describe()}) but holds {rows.Values.Length} values; was the adapter trained on another model?") { FilePath = source };
            var seen = new HashSet<int>();
            foreach (int id in rows.Indices)
            {
                if (id < 0 || id >= config.VocabSize)
                    throw new ModelLoadException($"{source}: trainable token id {id} of {module} is outside the base model's vocabulary (0..{config.VocabSize - 1}); was the adapter trained on another model?") { FilePath = source };
                if (!seen.Add(id))
                    throw new ModelLoadException($"{source}: trainable token id {id} of {module} is listed twice.") { FilePath = source };
            }
        }

        foreach (var p in Pairs)
        {
            if (p.Layer < 0 || p.Layer >= config.Layers)
                throw new ModelLoadException($"{source}: the adapter has layer {p.Layer} but the base model has {config.Layers} layers ({config.Describe()}); was it trained on another model?") { FilePath = source };
            var (outputs, inputs) = ModuleShape(config, p.Module);
            if (p.A.Length != (long)Rank * inputs || p.B.Length != (long)outputs * Rank)
                throw new ModelLoadException(
                    $"{source}: {TensorName(p.Layer, p.Module, "A")}/B need [{Rank}, {inputs}] and [{outputs}, {Rank}] for this base model ({config.Describe()}) but hold {p.A.Length} and {p.B.Length} values; was the adapter trained on another model?") { FilePath = source };
        }
    }
}
