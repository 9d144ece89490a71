using Hone.Core;
using Hone.Testing;

namespace Hone.Core.Tests;

public class AtomicFileTests
{
    [Fact]
    public void A_failed_write_leaves_the_old_file_whole_and_no_temp_files()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "out.jsonl");
        AtomicFile.WriteAllText(path, "old\n");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("disk full, say");
        }));

        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Equal(["out.jsonl"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_removes_the_folders_it_created_and_keeps_those_that_were_there()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "x");
        var path = Path.Combine(dir, "new", "deeper", "out.jsonl");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteText(path, _ => throw new InvalidOperationException("refused")));
        Assert.False(Directory.Exists(Path.Combine(dir, "new")));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Writes_replace_the_target_and_create_missing_folders()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "a", "b", "x.txt");
        AtomicFile.WriteText(path, w => w.WriteLine("one"));
        AtomicFile.WriteAllBytes(path, "two"u8);
        Assert.Equal("two", File.ReadAllText(path));
    }
}
