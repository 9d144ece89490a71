using Hone.Numerics;

namespace Hone.Models.Chat;

/// <summary>Settings of a <see cref="LocalChatClient"/>, fixed for its lifetime (per-request knobs are <c>ChatOptions</c>).</summary>
public sealed record LocalChatClientOptions
{
    /// <summary>The model id reported in responses (default: the model folder's or file's name).</summary>
    public string? ModelId { get; init; }

    /// <summary>Positions each session's KV cache holds (default: the model's maximum).</summary>
    public int? MaxContext { get; init; }

    /// <summary>Tokens per prompt block (256, as <see cref="Llama.LlamaModel.CreateSession"/>: wider blocks reuse each
    /// weight panel over more rows; measured 1.1–1.2× the prompt tokens/s of 64-row blocks on the 134M benchmark model).</summary>
    public int BlockSize { get; init; } = 256;

    /// <summary>Workers for matmuls and attention (default: the calling thread only). Not disposed by the client.</summary>
    public WorkerPool? Pool { get; init; }

    /// <summary>Temperature when a request gives none (1, as OpenAI).</summary>
    public float DefaultTemperature { get; init; } = 1f;

    /// <summary>When the client loads the model itself (<see cref="LocalChatClient.Load"/>), pack its layers once for
    /// prompt blocks (<see cref="Llama.LlamaModel.PackForInference"/>): faster prompts for every request, about twice
    /// the layers' memory. Default on; skipped when the packed copy would take more than a quarter of the memory
    /// available to the process.</summary>
    public bool PackWeights { get; init; } = true;

    /// <summary>Most sessions kept for reuse between requests (each holds a KV cache).</summary>
    public int MaxPooledSessions { get; init; } = 4;

    /// <summary>
    /// The model's content hash (<see cref="ModelContent.Id"/>); with it the client's <c>ChatClientMetadata.ProviderUri</c>
    /// is a content address (<c>urn:hone:model:sha256:…</c> over this hash and the settings that change outputs), so a
    /// response cache tells apart two models whose folders share a name. Null: no content address (unless
    /// <see cref="IdentifyByContent"/> asks <see cref="LocalChatClient.Load"/> to compute one).
    /// </summary>
    public string? ContentId { get; init; }

    /// <summary>When the client loads the model itself, hash its files, tokenizer and chat template into
    /// <see cref="ContentId"/> (reads every byte once; see <see cref="FileHashMemo"/>).</summary>
    public bool IdentifyByContent { get; init; }

    /// <summary>Remembers file hashes between processes, so <see cref="IdentifyByContent"/> hashes each file version once.</summary>
    public IFileHashMemo? FileHashMemo { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public LocalChatClientOptions Validate()
    {
        if (MaxContext is < 1)
        {
            throw new ArgumentException($"max context {MaxContext} must be ≥ 1.");
        }

        if (BlockSize < 1)
        {
            throw new ArgumentException($"block size {BlockSize} must be ≥ 1.");
        }

        if (!float.IsFinite(DefaultTemperature) || DefaultTemperature < 0)
        {
            throw new ArgumentException($"default temperature {DefaultTemperature} must be ≥ 0.");
        }

        if (MaxPooledSessions < 0)
        {
            throw new ArgumentException($"max pooled sessions {MaxPooledSessions} must be ≥ 0.");
        }

        return this;
    }
}
