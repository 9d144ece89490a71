using System.Formats.Tar;
using System.IO.Compression;

namespace Hone.Remote;

/// <summary>Unpacks a downloaded adapter: a tar (plain or gzip) or zip archive; a zstd archive is kept as is with a hint.</summary>
internal static class AdapterArchive
{
    public static IReadOnlyList<string> Unpack(string archive, string folder)
    {
        Span<byte> head = stackalloc byte[4];
        int n;
        using (var f = File.OpenRead(archive)) n = f.Read(head);
        if (n >= 4 && head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD)
        {
            var kept = Path.ChangeExtension(archive, ".tar.zst");
            File.Move(archive, kept, overwrite: true);
            throw new RemoteException($"The adapter came as a zstd archive ({kept}); unpack it with `tar --zstd -xf {kept} -C {folder}`, then give the folder to hone.");
        }
        var before = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToHashSet(StringComparer.Ordinal);
        if (n >= 2 && head[0] == 0x50 && head[1] == 0x4B)
        {
            ZipFile.ExtractToDirectory(archive, folder, overwriteFiles: true);
        }
        else
        {
            using var file = File.OpenRead(archive);
            using Stream tar = n >= 2 && head[0] == 0x1F && head[1] == 0x8B ? new GZipStream(file, CompressionMode.Decompress) : file;
            TarFile.ExtractToDirectory(tar, folder, overwriteFiles: true);
        }
        File.Delete(archive);
        return [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(p => !before.Contains(p)).Order(StringComparer.Ordinal)];
    }
}
