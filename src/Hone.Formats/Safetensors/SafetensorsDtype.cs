namespace Hone.Formats.Safetensors;

/// <summary>Element types of the safetensors format, spelled as in its header.</summary>
#pragma warning disable CA1707 // names follow the format
public enum SafetensorsDtype
{
    /// <summary>bool, one byte.</summary>
    BOOL,
    /// <summary>uint8.</summary>
    U8,
    /// <summary>int8.</summary>
    I8,
    /// <summary>float8 e5m2.</summary>
    F8_E5M2,
    /// <summary>float8 e4m3.</summary>
    F8_E4M3,
    /// <summary>int16.</summary>
    I16,
    /// <summary>uint16.</summary>
    U16,
    /// <summary>IEEE half.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>int32.</summary>
    I32,
    /// <summary>uint32.</summary>
    U32,
    /// <summary>float32.</summary>
    F32,
    /// <summary>float64.</summary>
    F64,
    /// <summary>int64.</summary>
    I64,
    /// <summary>uint64.</summary>
    U64,
}
#pragma warning restore CA1707

/// <summary>Sizes and names of <see cref="SafetensorsDtype"/>.</summary>
public static class SafetensorsDtypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL or SafetensorsDtype.U8 or SafetensorsDtype.I8 or SafetensorsDtype.F8_E5M2 or SafetensorsDtype.F8_E4M3 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.F64 or SafetensorsDtype.I64 or SafetensorsDtype.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Parses a header dtype string (exact, case-sensitive).</summary>
    public static bool TryParse(string? text, out SafetensorsDtype dtype)
    {
        dtype = default;
        return text is not null && text.Length <= 8 && !char.IsDigit(text[0]) &&
               Enum.TryParse(text, ignoreCase: false, out dtype) && Enum.IsDefined(dtype) && dtype.ToString() == text;
    }
}
