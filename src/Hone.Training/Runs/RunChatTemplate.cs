namespace Hone.Training.Runs;

/// <summary>The chat template a training run used, as its manifest records it.</summary>
/// <param name="Source">The template's full source text.</param>
/// <param name="Origin">Where it came from (e.g. "builtin:plain", "tokenizer_config.json").</param>
/// <param name="Bos">The BOS token text it was rendered with.</param>
/// <param name="Eos">The EOS token text it was rendered with.</param>
public sealed record RunChatTemplate(string Source, string Origin, string? Bos, string? Eos);
