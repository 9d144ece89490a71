namespace Hone.Formats.Gguf;

/// <summary>ggml tensor element types, numbered as in ggml.h (gaps are types llama.cpp removed).</summary>
#pragma warning disable CA1707 // names follow ggml
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>IEEE half.</summary>
    F16 = 1,
    /// <summary>4-bit, blocks of 32, one f16 scale.</summary>
    Q4_0 = 2,
    /// <summary>4-bit, blocks of 32, f16 scale and min.</summary>
    Q4_1 = 3,
    /// <summary>5-bit, blocks of 32.</summary>
    Q5_0 = 6,
    /// <summary>5-bit with min, blocks of 32.</summary>
    Q5_1 = 7,
    /// <summary>8-bit, blocks of 32, one f16 scale.</summary>
    Q8_0 = 8,
    /// <summary>8-bit with sum, blocks of 32.</summary>
    Q8_1 = 9,
    /// <summary>k-quant 2-bit.</summary>
    Q2_K = 10,
    /// <summary>k-quant 3-bit.</summary>
    Q3_K = 11,
    /// <summary>k-quant 4-bit.</summary>
    Q4_K = 12,
    /// <summary>k-quant 5-bit.</summary>
    Q5_K = 13,
    /// <summary>k-quant 6-bit.</summary>
    Q6_K = 14,
    /// <summary>k-quant 8-bit.</summary>
    Q8_K = 15,
    /// <summary>i-quant.</summary>
    IQ2_XXS = 16,
    /// <summary>i-quant.</summary>
    IQ2_XS = 17,
    /// <summary>i-quant.</summary>
    IQ3_XXS = 18,
    /// <summary>i-quant.</summary>
    IQ1_S = 19,
    /// <summary>i-quant.</summary>
    IQ4_NL = 20,
    /// <summary>i-quant.</summary>
    IQ3_S = 21,
    /// <summary>i-quant.</summary>
    IQ2_S = 22,
    /// <summary>i-quant.</summary>
    IQ4_XS = 23,
    /// <summary>8-bit integer.</summary>
    I8 = 24,
    /// <summary>16-bit integer.</summary>
    I16 = 25,
    /// <summary>32-bit integer.</summary>
    I32 = 26,
    /// <summary>64-bit integer.</summary>
    I64 = 27,
    /// <summary>64-bit float.</summary>
    F64 = 28,
    /// <summary>i-quant.</summary>
    IQ1_M = 29,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
    /// <summary>ternary.</summary>
    TQ1_0 = 34,
    /// <summary>ternary.</summary>
    TQ2_0 = 35,
    /// <summary>MX FP4.</summary>
    MXFP4 = 39,
}
#pragma warning restore CA1707

/// <summary>Block geometry of each <see cref="GgmlType"/>.</summary>
public static class GgmlTypeInfo
{
    /// <summary>
    /// Elements per block and bytes per block of <paramref name="type"/>; false for a number that is no known type.
    /// </summary>
    public static bool TryGetBlock(GgmlType type, out int blockElements, out int blockBytes)
    {
        (blockElements, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.Q4_0 => (32, 18),
            GgmlType.Q4_1 => (32, 20),
            GgmlType.Q5_0 => (32, 22),
            GgmlType.Q5_1 => (32, 24),
            GgmlType.Q8_0 => (32, 34),
            GgmlType.Q8_1 => (32, 36),
            GgmlType.Q2_K => (256, 84),
            GgmlType.Q3_K => (256, 110),
            GgmlType.Q4_K => (256, 144),
            GgmlType.Q5_K => (256, 176),
            GgmlType.Q6_K => (256, 210),
            GgmlType.Q8_K => (256, 292),
            GgmlType.IQ2_XXS => (256, 66),
            GgmlType.IQ2_XS => (256, 74),
            GgmlType.IQ3_XXS => (256, 98),
            GgmlType.IQ1_S => (256, 50),
            GgmlType.IQ4_NL => (32, 18),
            GgmlType.IQ3_S => (256, 110),
            GgmlType.IQ2_S => (256, 82),
            GgmlType.IQ4_XS => (256, 136),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 => (1, 8),
            GgmlType.F64 => (1, 8),
            GgmlType.IQ1_M => (256, 56),
            GgmlType.BF16 => (1, 2),
            GgmlType.TQ1_0 => (256, 54),
            GgmlType.TQ2_0 => (256, 66),
            GgmlType.MXFP4 => (32, 17),
            _ => (0, 0),
        };
        return blockElements > 0;
    }

    /// <summary>Bytes needed for a row-major tensor of <paramref name="elements"/> values (a whole number of blocks); checked.</summary>
    public static long ByteSize(GgmlType type, long elements)
    {
        if (!TryGetBlock(type, out var be, out var bb)) throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        if (elements % be != 0) throw new ArgumentException($"{elements} elements is not a whole number of {type} blocks of {be}", nameof(elements));
        return checked(elements / be * bb);
    }
}
