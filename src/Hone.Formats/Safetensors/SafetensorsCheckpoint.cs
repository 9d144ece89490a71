using System.Text.Json;

namespace Hone.Formats.Safetensors;

/// <summary>
/// A whole checkpoint: one safetensors file, or shards listed by <c>model.safetensors.index.json</c>
/// (<c>weight_map</c>: tensor name → shard file in the same folder). Tensor names are unique across shards.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    /// <summary>Largest accepted index file (64 MB).</summary>
    public const long MaxIndexBytes = 64L << 20;

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;

    private SafetensorsCheckpoint(List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        _files = files;
        _owner = owner;
    }

    /// <summary>The open shard files (one for an unsharded checkpoint).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor, ordered by name.</summary>
    public IEnumerable<SafetensorsTensorInfo> Tensors => _owner.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.GetTensor(kv.Key));

    /// <summary>Tensor names, ordered.</summary>
    public IEnumerable<string> Names => _owner.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// Opens <paramref name="path"/>: a .safetensors file, an index .json, or a folder holding
    /// model.safetensors.index.json or model.safetensors. Problems are <see cref="SafetensorsFormatException"/>s.
    /// </summary>
    public static SafetensorsCheckpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            var index = Path.Combine(full, "model.safetensors.index.json");
            var single = Path.Combine(full, "model.safetensors");
            if (File.Exists(index)) return OpenIndex(index);
            if (File.Exists(single)) return OpenSingle(single);
            throw new SafetensorsFormatException($"{full}: no model.safetensors.index.json or model.safetensors in this folder") { FilePath = full };
        }
        return full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? OpenIndex(full) : OpenSingle(full);
    }

    private static SafetensorsCheckpoint OpenSingle(string path)
    {
        var f = SafetensorsFile.Open(path);
        return new SafetensorsCheckpoint([f], f.Tensors.ToDictionary(t => t.Name, _ => f, StringComparer.Ordinal));
    }

    private static SafetensorsCheckpoint OpenIndex(string indexPath)
    {
        Dictionary<string, string> map;
        try
        {
            var info = new FileInfo(indexPath);
            if (!info.Exists) throw new SafetensorsFormatException($"{indexPath}: index file not found") { FilePath = indexPath };
            if (info.Length > MaxIndexBytes) throw new SafetensorsFormatException($"{indexPath}: index is {info.Length} bytes, over the {MaxIndexBytes}-byte cap") { FilePath = indexPath };
            map = ReadWeightMap(indexPath, File.ReadAllBytes(indexPath));
        }
        catch (IOException e)
        {
            throw new SafetensorsFormatException($"{indexPath}: cannot read: {e.Message}", e) { FilePath = indexPath };
        }
        var dir = Path.GetDirectoryName(indexPath)!;
        var files = new List<SafetensorsFile>();
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var shard in map.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var f = SafetensorsFile.Open(Path.Combine(dir, shard));
                files.Add(f);
                foreach (var t in f.Tensors)
                    if (!owner.TryAdd(t.Name, f))
                        throw new SafetensorsFormatException($"{f.Path}: tensor '{t.Name}' is also in {owner[t.Name].Path}; a tensor may live in one shard only") { FilePath = f.Path, TensorName = t.Name };
            }
            foreach (var (name, shard) in map)
                if (!owner.TryGetValue(name, out var f) || !string.Equals(Path.GetFileName(f.Path), shard, StringComparison.Ordinal))
                    throw new SafetensorsFormatException($"{indexPath}: weight_map puts '{name}' in {shard}, but that shard does not hold it") { FilePath = indexPath, TensorName = name };
            return new SafetensorsCheckpoint(files, owner);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string path, byte[] json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw new SafetensorsFormatException($"{path}: not valid UTF-8") { FilePath = path };
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"{path}: expected an object with a \"weight_map\" object") { FilePath = path };
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                var shard = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or ".." || shard.Contains('\\', StringComparison.Ordinal))
                    throw new SafetensorsFormatException($"{path}: weight_map entry '{p.Name}' must name a shard file in the same folder, got {p.Value.GetRawText()}") { FilePath = path, TensorName = p.Name };
                if (!map.TryAdd(p.Name, shard))
                    throw new SafetensorsFormatException($"{path}: weight_map lists '{p.Name}' twice") { FilePath = path, TensorName = p.Name };
            }
            return map;
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON ({e.Message})", e) { FilePath = path };
        }
    }

    /// <summary>Whether the checkpoint holds <paramref name="name"/>.</summary>
    public bool HasTensor(string name) => _owner.ContainsKey(name);

    /// <summary>Info of a tensor.</summary>
    public SafetensorsTensorInfo GetTensor(string name) => Owner(name).GetTensor(name);

    /// <summary>An F32 tensor, zero-copy; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<float> GetF32Span(string name) => Owner(name).GetF32Span(name);

    /// <summary>A float tensor (F32/F16/BF16/F64) as a new F32 array.</summary>
    public float[] ReadF32(string name) => Owner(name).ReadF32(name);

    private SafetensorsFile Owner(string name) =>
        _owner.TryGetValue(name, out var f) ? f : throw new KeyNotFoundException($"checkpoint has no tensor named '{name}'");

    /// <summary>Releases every shard.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
