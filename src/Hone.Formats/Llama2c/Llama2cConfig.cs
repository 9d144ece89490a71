namespace Hone.Formats.Llama2c;

/// <summary>The hyper-parameters in a llama2.c checkpoint header.</summary>
/// <param name="Dim">Model dimension.</param>
/// <param name="HiddenDim">FFN hidden dimension.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads.</param>
/// <param name="VocabSize">Vocabulary size (always positive here).</param>
/// <param name="SeqLen">Maximum sequence length.</param>
/// <param name="SharedClassifier">Whether the classifier is the token embedding (legacy: vocab_size was positive).</param>
public sealed record Llama2cConfig(int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen, bool SharedClassifier)
{
    /// <summary>Dimension of one head.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>Width of the K and V projections.</summary>
    public int KvDim => HeadDim * KvHeads;
}

/// <summary>The two llama2.c checkpoint layouts Hone reads.</summary>
public enum Llama2cVersion
{
    /// <summary>run.c's original layout: a 28-byte header, weights grouped by kind, RoPE tables included.</summary>
    Legacy,

    /// <summary>export.py version 1: the "ak42" magic, a 256-byte header, norms first, no RoPE tables.</summary>
    V1,
}

/// <summary>One named weight of a checkpoint (all layers stacked where the weight is per-layer).</summary>
/// <param name="Name">token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag or wcls.</param>
/// <param name="Shape">Row-major shape; per-layer weights lead with the layer count; matrices are [out, in].</param>
/// <param name="Offset">Byte offset in the file.</param>
public sealed record Llama2cTensor(string Name, IReadOnlyList<int> Shape, long Offset)
{
    /// <summary>Number of floats.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
