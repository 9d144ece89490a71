namespace Hone.Formats.Safetensors;

/// <summary>
/// A safetensors file or shard index is malformed, truncated or hostile. The message names the file, the tensor and
/// the byte offsets involved.
/// </summary>
public sealed class SafetensorsFormatException : HoneFormatException
{
    /// <summary>Creates the error.</summary>
    public SafetensorsFormatException() { }

    /// <summary>Creates the error with a message.</summary>
    public SafetensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public SafetensorsFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The tensor the error is about, when there is one.</summary>
    public string? TensorName { get; init; }

    internal static SafetensorsFormatException At(string path, long offset, string what, string? tensor = null) =>
        new($"{path}: byte {offset}: {(tensor is null ? "" : $"tensor '{tensor}': ")}{what}") { FilePath = path, Offset = offset, TensorName = tensor };
}
