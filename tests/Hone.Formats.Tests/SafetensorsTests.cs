using System.Buffers.Binary;
using System.Text;
using Hone.Formats.Safetensors;
using Hone.Testing;

namespace Hone.Formats.Tests;

public class SafetensorsTests
{
    private static string Stories => TestAssets.Path("models", "stories260K-hf", "model.safetensors");

    [Fact]
    public void Stories260K_hf_has_the_llama_tensors_with_config_shapes()
    {
        using var f = SafetensorsFile.Open(Stories);
        Assert.Equal(1 + 5 * 9 + 1, f.Tensors.Count);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal([512L, 64], f.GetTensor("model.embed_tokens.weight").Shape);
        Assert.Equal([64L, 64], f.GetTensor("model.layers.0.self_attn.q_proj.weight").Shape);
        Assert.Equal([32L, 64], f.GetTensor("model.layers.4.self_attn.k_proj.weight").Shape);
        Assert.Equal([172L, 64], f.GetTensor("model.layers.2.mlp.gate_proj.weight").Shape);
        Assert.Equal([64L, 172], f.GetTensor("model.layers.2.mlp.down_proj.weight").Shape);
        Assert.All(f.Tensors, t => Assert.Equal(SafetensorsDtype.F32, t.Dtype));
        Assert.Equal(0, f.DataOffset % 8);
        var span = f.GetF32Span("model.norm.weight");
        Assert.Equal(64, span.Length);
        Assert.Equal(span.ToArray(), f.ReadF32("model.norm.weight"));
        Assert.Contains(span.ToArray(), v => v != 0);
    }

    [Fact]
    public void Rewriting_stories260K_reproduces_the_file_byte_for_byte()
    {
        using var f = SafetensorsFile.Open(Stories);
        var w = new SafetensorsWriter();
        foreach (var kv in f.Metadata) w.Metadata[kv.Key] = kv.Value;
        foreach (var t in f.Tensors) w.Add(t.Name, t.Dtype, t.Shape, f.GetBytes(t.Name).ToArray());
        var path = Path.Combine(TestAssets.NewTempDir(), "model.safetensors");
        w.Write(path);
        Assert.Equal(File.ReadAllBytes(Stories), File.ReadAllBytes(path));
    }

    [Fact]
    public void Written_file_reads_back_bit_identical_in_sorted_order_with_half_types_converted()
    {
        var r = new Random(11);
        var a = Enumerable.Range(0, 6).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        var w = new SafetensorsWriter();
        w.Metadata["format"] = "pt";
        w.Add("z.last", [2, 3], a);
        w.Add("a.half", [6], a, SafetensorsDtype.F16);
        w.Add("m.bf16", [3, 2], a, SafetensorsDtype.BF16);
        w.Add("ids", SafetensorsDtype.I64, [2], new byte[16]);
        w.Add("scalar", [], [42f]);
        var path = Path.Combine(TestAssets.NewTempDir(), "x.safetensors");
        w.Write(path);
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(["a.half", "ids", "m.bf16", "scalar", "z.last"], f.Tensors.Select(t => t.Name));
        Assert.Equal(a, f.GetF32Span("z.last").ToArray());
        Assert.Equal(42f, f.ReadF32("scalar")[0]);
        var h = f.ReadF32("a.half");
        var b = f.ReadF32("m.bf16");
        for (var i = 0; i < a.Length; i++)
        {
            Assert.Equal((float)(Half)a[i], h[i]);
            Assert.InRange(Math.Abs(b[i] - a[i]), 0, Math.Abs(a[i]) / 256);
        }
        Assert.Throws<SafetensorsFormatException>(() => f.ReadF32("ids"));
        Assert.Throws<InvalidOperationException>(() => f.GetF32Span("a.half").ToArray());
        var n = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, n % 8);
    }

    [Fact]
    public void Sharded_checkpoint_opens_from_folder_and_index()
    {
        var dir = TestAssets.NewTempDir();
        new SafetensorsWriter().Add("a", [2], [1f, 2f]).Add("b", [1], [3f]).Write(Path.Combine(dir, "model-00001-of-00002.safetensors"));
        new SafetensorsWriter().Add("c", [2], [4f, 5f]).Write(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            """{"metadata":{"total_size":20},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}""");
        using (var c = SafetensorsCheckpoint.Open(dir))
        {
            Assert.Equal(["a", "b", "c"], c.Names);
            Assert.Equal([4f, 5f], c.GetF32Span("c").ToArray());
            Assert.Equal([3f], c.ReadF32("b"));
            Assert.Equal(2, c.Files.Count);
        }
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), """{"weight_map":{"a":"../etc/passwd"}}""");
        Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(dir));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), """{"weight_map":{"a":"model-00002-of-00002.safetensors"}}""");
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(dir));
        Assert.Equal("a", e.TensorName);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"weight_map\":\n {\"a\": }");
        Assert.Contains(":2:", Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(dir)).Message, StringComparison.Ordinal);
        Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(Path.Combine(dir, "missing")));
    }

    private static string WriteRaw(string header, int dataBytes, ulong? declared = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        var path = Path.Combine(TestAssets.NewTempDir("raw"), "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, null, null)] // valid control
    [InlineData("""{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", 8, "t", "dtype")]
    [InlineData("""{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "t", "needs 12 bytes")]
    [InlineData("""{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "t", "non-negative")]
    [InlineData("""{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8, "t", "overflow")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "t", "truncated")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, null, "trailing")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"u":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "u", "overlaps")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"u":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "u", "contiguous")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "t", "twice")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "t", "data_offsets")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1]""", 4, null, "JSON")]
    [InlineData("""[1,2]""", 0, null, "{")]
    [InlineData("""{"__metadata__":{"a":1}}""", 0, null, "string")]
    public void Header_violations_are_typed_errors_naming_tensor_and_offset(string header, int dataBytes, string? tensor, string? fragment)
    {
        var path = WriteRaw(header, dataBytes);
        if (fragment is null)
        {
            using var ok = SafetensorsFile.Open(path);
            Assert.Single(ok.Tensors);
            return;
        }
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("byte ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Offset >= 0);
        Assert.Equal(tensor, e.TensorName);
    }

    [Fact]
    public void Huge_or_truncated_header_lengths_are_rejected_without_allocating()
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(WriteRaw("{}", 0, declared: ulong.MaxValue)));
        Assert.Contains("cap", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(WriteRaw("{}", 0, declared: 90_000_000)));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        var empty = Path.Combine(TestAssets.NewTempDir(), "empty.safetensors");
        File.WriteAllBytes(empty, []);
        Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(empty));
    }
}
