namespace Hone.Tokenizers;

/// <summary>
/// The role of a vocabulary entry. Values equal SentencePiece's piece types and GGUF's <c>tokenizer.ggml.token_type</c>.
/// </summary>
public enum TokenKind
{
    /// <summary>An ordinary piece produced by merges.</summary>
    Normal = 1,

    /// <summary>The unknown-token placeholder (e.g. "&lt;unk&gt;").</summary>
    Unknown = 2,

    /// <summary>A control token (BOS, EOS, "&lt;|im_end|&gt;"): matched in text only when parseSpecial is set.</summary>
    Control = 3,

    /// <summary>A user-defined (added, non-special) token: always matched in text before the model runs.</summary>
    UserDefined = 4,

    /// <summary>A reserved, unused id.</summary>
    Unused = 5,

    /// <summary>A byte-fallback piece "&lt;0xXX&gt;".</summary>
    Byte = 6,
}
