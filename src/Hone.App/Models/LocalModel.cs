using Hone.Models.Adapters;
using Hone.Models.Chat;
using Hone.Models.Llama;
using Hone.Numerics;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;

namespace Hone.App.Models;

/// <summary>
/// A local model as the user named it, and the one place it becomes a tokenizer, a chat encoder, a model or a chat client.
/// </summary>
/// <param name="Path">The model folder or file.</param>
/// <param name="Tokenizer">A tokenizer for a model without one beside it, or null.</param>
/// <param name="Template">A built-in chat template name, or null (the adapter's, else the model's own).</param>
/// <param name="Adapter">A PEFT LoRA adapter folder merged in at load, or null.</param>
public sealed record LocalModel(string Path, string? Tokenizer = null, string? Template = null, string? Adapter = null)
{
    /// <summary>The tokenizer alone (no chat template needed).</summary>
    public TokenizerBase LoadTokenizer() => TokenizerLoader.Load(TokenizerLocator.Find(Path, Tokenizer));

    /// <summary>The tokenizer with the chat template.</summary>
    public ChatEncoder LoadEncoder() => ChatEncoder.Load(Path, Tokenizer, Template, Adapter);

    /// <summary>The model for inference, with the adapter merged in when one is named (else a GGUF's BF16/Q8_0/Q4_0 matrices stay stored).</summary>
    public LlamaModel LoadModel(WorkerPool? pool = null) => Adapter is null ? LlamaModel.LoadForInference(Path) : AdapterLoader.Load(Path, Adapter, pool);

    /// <summary>The model as a chat client (tokenizer, template and adapter applied).</summary>
    public LocalChatClient LoadClient(LocalChatClientOptions? options = null) => LocalChatClient.Load(Path, Tokenizer, Template, Adapter, options);
}
