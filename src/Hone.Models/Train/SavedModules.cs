using Hone.Models.Llama;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Train;

/// <summary>
/// LoRA's modules to save: trained copies of the token embedding and of the output head (views into the trainer's
/// arena, started from the model's own), used while the adapters are on; with the adapters off the base's own rows
/// are used (PEFT's ModulesToSaveWrapper passes through to the original module). With tied embeddings the two are one
/// tensor, as PEFT's ensure_weight_tying keeps them.
/// </summary>
internal sealed class SavedModules
{
    private readonly LlamaWeights _w;
    private readonly Tensor? _embed, _embedGrad, _head, _headGrad;
    private readonly TrainableTokens? _tokens;

    /// <summary>Binds the copies <see cref="Choose"/> asked for and starts them from the model's weights.</summary>
    /// <param name="arena">The trainer's arena, laid out with these copies.</param>
    /// <param name="w">The model's weights.</param>
    /// <param name="c">The model's configuration.</param>
    /// <param name="saveEmbed">Whether the embedding has a trained copy.</param>
    /// <param name="saveHead">Whether the head has one (the embedding's, when tied).</param>
    /// <param name="tokens">LoRA's trainable tokens (never with modules to save), or null.</param>
    public SavedModules(TrainerArena arena, LlamaWeights w, LlamaConfig c, bool saveEmbed, bool saveHead, TrainableTokens? tokens = null)
    {
        _w = w;
        _tokens = tokens;
        Tied = c.TiedEmbeddings;
        if (saveEmbed)
        {
            _embed = arena[TrainerArena.SavedName(LlamaModules.EmbedTokens)];
            _embedGrad = arena[TrainerArena.GradName(TrainerArena.SavedName(LlamaModules.EmbedTokens))];
            w.TokenEmbedding.Span.CopyTo(_embed.Value.Span);
        }

        if (saveHead)
        {
            _head = Tied ? _embed : arena[TrainerArena.SavedName(LlamaModules.LmHead)];
            _headGrad = Tied ? _embedGrad : arena[TrainerArena.GradName(TrainerArena.SavedName(LlamaModules.LmHead))];
            if (!Tied)
            {
                w.Classifier.Span.CopyTo(_head!.Value.Span);
            }
        }
    }

    /// <summary>Whether the embedding and the head are one tensor (in the model and in its trained copy).</summary>
    public bool Tied { get; }

    /// <summary>The trained embedding copy (with the trainable tokens' rows in place), or null.</summary>
    public Tensor? Embedding => _embed ?? _tokens?.Embedding;

    /// <summary>The trained head copy (the embedding's when tied; with the trainable tokens' rows in place), or null.</summary>
    public Tensor? Head => _head ?? _tokens?.Head;

    /// <summary>LoRA's trainable tokens, or null.</summary>
    public TrainableTokens? Tokens => _tokens;

    /// <summary>
    /// Which copies a LoRA run holds (none without LoRA). Tied embeddings: PEFT's ModulesToSaveWrapper deep-copies
    /// the module it wraps, so by default (ensure_weight_tying False) a tied model comes apart: the saved embed_tokens
    /// copy trains as the input embedding while lm_head keeps reading the frozen original (and a merge keeps only one
    /// of them). With ensure_weight_tying=True, naming either module wraps both and keeps the wrappers tied. Hone
    /// matches the tied behaviour: one trained copy serves as the input embedding and as the output head (the
    /// gradients of both uses add up in it), and the adapter export says ensure_weight_tying and holds the same matrix
    /// under both names.
    /// </summary>
    public static (bool Embed, bool Head) Choose(LlamaConfig c, LoraOptions? lora)
    {
        var saved = lora?.ResolveModulesToSave() ?? [];
        return (saved.Contains(LlamaModules.EmbedTokens) || (c.TiedEmbeddings && saved.Contains(LlamaModules.LmHead)),
            saved.Contains(LlamaModules.LmHead) || (c.TiedEmbeddings && saved.Contains(LlamaModules.EmbedTokens)));
    }

    /// <summary>The token embedding a forward reads: the trained copy while the adapters are on, else the model's.</summary>
    public Tensor EmbeddingFor(bool adaptersOn) => adaptersOn && Embedding is { } e ? e : _w.TokenEmbedding;

    /// <summary>Where the embedding's gradient goes with the adapters on or off: the trained copy, or nowhere.</summary>
    public Tensor? EmbeddingGradFor(bool adaptersOn) => adaptersOn ? _embedGrad : null;

    /// <summary>The output head a pass uses: the trained copy while the adapters are on, else the model's.</summary>
    public Tensor HeadFor(bool adaptersOn) => adaptersOn && Head is { } h ? h : _w.Classifier;

    /// <summary>Where the head's gradient goes with the adapters on or off: the trained copy, or nowhere.</summary>
    public Tensor? HeadGradFor(bool adaptersOn) => adaptersOn ? _headGrad : null;

    /// <summary>Adds the trained copies to <paramref name="parameters"/> (the tied copy once, under the embedding's name).</summary>
    public void AddParameters(List<TrainableParameter> parameters)
    {
        if (_embed is { } se)
        {
            parameters.Add(new TrainableParameter(TrainerArena.SavedName(LlamaModules.EmbedTokens), se, _embedGrad!.Value, true));
        }

        if (_head is { } sh && !Tied)
        {
            parameters.Add(new TrainableParameter(TrainerArena.SavedName(LlamaModules.LmHead), sh, _headGrad!.Value, true));
        }

        _tokens?.AddParameters(parameters);
    }
}
