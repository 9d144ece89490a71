using System.Diagnostics;
using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

/// <summary>Spill files live in a run folder per process; a later process sweeps the folders of processes that are gone.</summary>
public class SpillFileTests
{
    [Fact]
    public void Sweeping_removes_the_run_folders_of_gone_processes_only()
    {
        var root = Hone.Testing.TestAssets.NewTempDir("sweep");
        using var self = Process.GetCurrentProcess();
        string Make(string name)
        {
            var folder = Path.Combine(root, name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "hone-spill-x.tmp"), "left by a killed check");
            return folder;
        }
        var gone = Make(SpillFile.RunFolderName(int.MaxValue, 42));                         // no such process
        var reused = Make(SpillFile.RunFolderName(self.Id, self.StartTime.Ticks - 10 * TimeSpan.TicksPerSecond)); // the id now names another process
        var alive = Make(SpillFile.RunFolderName(self.Id, self.StartTime.Ticks));            // this process
        // This process as another one reads its start time: a few milliseconds off (each process estimates the boot time).
        var aliveJitter = Make(SpillFile.RunFolderName(self.Id, self.StartTime.Ticks + (3 * TimeSpan.TicksPerMillisecond)));
        var other = Make("hone-spill-not-a-run-folder");

        SpillFile.SweepStale(root);

        Assert.False(Directory.Exists(gone));
        Assert.False(Directory.Exists(reused));
        Assert.True(Directory.Exists(alive));
        Assert.True(Directory.Exists(aliveJitter));
        Assert.True(Directory.Exists(other));
    }

    [Fact]
    public void Spill_files_without_a_folder_go_to_this_process_run_folder_and_are_deleted_when_closed()
    {
        using var self = Process.GetCurrentProcess();
        Assert.Equal(SpillFile.RunFolderName(self.Id, self.StartTime.Ticks), Path.GetFileName(SpillFile.RunFolder));
        string path;
        using (var file = new SpillFile(null))
        {
            file.Append([1, 2, 3]);
            path = file.FilePath!;
            Assert.Equal(SpillFile.RunFolder, Path.GetDirectoryName(path));
            Assert.True(File.Exists(path));
            var back = new byte[3];
            file.Read(0, back);
            Assert.Equal([1, 2, 3], back);
        }
        Assert.False(File.Exists(path));
    }
}

/// <summary>The bounded "met before?" table of the near-duplicate verification.</summary>
public class PairCacheTests
{
    [Fact]
    public void A_pair_is_met_once_until_another_takes_its_slot_and_the_table_stays_bounded()
    {
        var cache = new PairCache(10);
        Assert.True(cache.Add(3, 7));
        Assert.False(cache.Add(3, 7));
        Assert.True(cache.Add(7, 3)); // ordered pairs: the caller orders them
        Assert.True(cache.Add(0, 0));
        Assert.False(cache.Add(0, 0)); // the empty slot's key is not the pair (0, 0)

        // Far more pairs than slots: every pair is new the first time, and some are forgotten (reported new again).
        var big = new PairCache(int.MaxValue / 8);
        var forgotten = 0;
        for (var i = 0; i < PairCache.MaxSlots * 2; i++) Assert.True(big.Add(i, i + 1));
        for (var i = 0; i < 1000; i++) if (big.Add(i, i + 1)) forgotten++;
        Assert.True(forgotten > 0, "a table of at most MaxSlots slots cannot hold twice as many pairs");
    }
}
