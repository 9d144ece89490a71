using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hone.Models.Chat;

/// <summary>
/// Remembers the SHA-256 of files by a key naming the file's full path, size and last write time, so a model's content
/// address is computed once per version of its files (a changed file has a new key and is hashed again).
/// </summary>
public interface IFileHashMemo
{
    /// <summary>The hash stored under <paramref name="key"/>, or null.</summary>
    string? Get(string key);

    /// <summary>Stores <paramref name="sha256"/> under <paramref name="key"/>.</summary>
    void Put(string key, string sha256);
}

/// <summary>
/// The content address of a local model: a SHA-256 over the files that decide its outputs (weights and config, the
/// tokenizer, an adapter if any) and the chat template in use. Two copies of one model anywhere on disk share it; two
/// models in folders of the same name do not. File names count relative to their folder, so moving a model keeps it.
/// </summary>
/// <remarks>
/// A model folder counts with every top-level file that is not hidden (a file the loader never reads only costs a
/// cache miss, never a wrong answer); a model file (GGUF, llama2.c) counts alone, its tokenizer beside it separately.
/// Hashing reads every byte, so callers pass an <see cref="IFileHashMemo"/> to hash each file version once.
/// </remarks>
public static class ModelContent
{
    /// <summary>The URI scheme prefix of a content address (<c>urn:hone:model:sha256:HEX</c>).</summary>
    public const string UriPrefix = "urn:hone:model:sha256:";

    /// <summary>
    /// The content hash (64 hex digits) of the model at <paramref name="modelPath"/> with its tokenizer, chat template
    /// source text and optional adapter.
    /// </summary>
    public static string Id(string modelPath, string tokenizerPath, string templateSource, string? adapterPath = null, IFileHashMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(tokenizerPath);
        ArgumentNullException.ThrowIfNull(templateSource);
        var sb = new StringBuilder();
        var modelRoot = Root(modelPath);
        Append(sb, "model", modelRoot, memo);
        var tokenizerRoot = Root(tokenizerPath);
        if (!string.Equals(tokenizerRoot, modelRoot, StringComparison.Ordinal) && !Files(modelRoot).Contains(tokenizerRoot, StringComparer.Ordinal))
        {
            Append(sb, "tokenizer", tokenizerRoot, memo);
        }

        if (adapterPath is not null)
        {
            Append(sb, "adapter", Root(adapterPath), memo);
        }

        sb.Append("template\t").Append(Hex(SHA256.HashData(Encoding.UTF8.GetBytes(templateSource)))).Append('\n');
        return Hex(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>The SHA-256 of one file, from <paramref name="memo"/> when it knows this version of the file.</summary>
    public static string FileSha256(string path, IFileHashMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(Path.GetFullPath(path));
        var key = string.Create(CultureInfo.InvariantCulture, $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
        if (memo?.Get(key) is { Length: 64 } known)
        {
            return known;
        }

        string hash;
        using (var fs = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            hash = Hex(SHA256.HashData(fs));
        }

        memo?.Put(key, hash);
        return hash;
    }

    /// <summary>The files that count for <paramref name="root"/>: the file itself, or a folder's top-level files that are not hidden, by name.</summary>
    public static IReadOnlyList<string> Files(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (File.Exists(root))
        {
            return [Path.GetFullPath(root)];
        }

        if (!Directory.Exists(root))
        {
            throw new FileNotFoundException($"{root}: no such model file or folder.", root);
        }

        return [.. Directory.EnumerateFiles(root)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The model's folder when a file inside a Hugging Face folder is named (the loader reads the folder).</summary>
    private static string Root(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && (Path.GetFileName(full) == "config.json" || full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
        {
            return Path.GetDirectoryName(full)!;
        }

        return full;
    }

    private static void Append(StringBuilder sb, string role, string root, IFileHashMemo? memo)
    {
        var folder = Directory.Exists(root) ? root : null;
        foreach (var file in Files(root))
        {
            var name = folder is null ? Path.GetFileName(file) : Path.GetRelativePath(folder, file);
            sb.Append(role).Append('\t').Append(name).Append('\t').Append(FileSha256(file, memo)).Append('\n');
        }
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
