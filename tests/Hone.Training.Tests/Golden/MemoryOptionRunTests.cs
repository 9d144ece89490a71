using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Testing;
using Hone.Training.Dpo;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests.Golden;

/// <summary>The memory options of a run: recomputation changes nothing in what a run writes; a BF16 LoRA base trains
/// as the float32 one does, to BF16 rounding, and is stored in the manifest.</summary>
public class MemoryOptionRunTests
{
    [Theory]
    [InlineData("sft-lora")]
    [InlineData("sft-full")]
    [InlineData("dpo-lora")]
    public void A_seeded_run_with_recomputation_writes_the_same_results_and_weights(string name)
    {
        var (plainCsv, plainState) = RunCase(name, o => o);
        var (recomputedCsv, recomputedState) = RunCase(name, o => o with { Recompute = true }, manifest => Assert.True((bool)manifest["recompute"]!));
        Assert.Equal(plainCsv, recomputedCsv);
        Assert.Equal(plainState, recomputedState);
    }

    [Fact]
    public void A_lora_run_over_a_bf16_base_trains_close_to_the_float32_base_and_records_its_base_type()
    {
        var (f32Csv, _) = RunCase("sft-lora", o => o);
        var (bf16Csv, bf16State) = RunCase("sft-lora", o => o with { Lora = o.Lora with { BaseType = LoraBaseType.BF16 } },
            manifest => Assert.Equal("bf16", (string?)manifest["lora"]!["base_type"]));
        Assert.NotEqual(f32Csv, bf16Csv);
        var f32 = TrainLosses(f32Csv);
        var bf16 = TrainLosses(bf16Csv);
        Assert.Equal(f32.Count, bf16.Count);
        Assert.True(f32.Count >= 2);
        for (int i = 0; i < f32.Count; i++)
        {
            Assert.True(Math.Abs(f32[i] - bf16[i]) <= 0.02 * Math.Abs(f32[i]), $"step {i}: f32 {f32[i]} bf16 {bf16[i]}");
        }

        Assert.True(bf16[^1] < bf16[0], $"loss {bf16[0]} -> {bf16[^1]}");
        Assert.NotNull(bf16State);
    }

    [Fact]
    public void A_bf16_base_needs_lora()
    {
        var dir = TestAssets.NewTempDir();
        var o = (SftRunOptions)GoldenRuns.Options("sft-full", dir);
        o = o with { Lora = o.Lora with { BaseType = LoraBaseType.BF16 } };
        var e = Assert.Throws<TrainingException>(o.Validate);
        Assert.Contains("--base-dtype", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs a golden case with its options changed by <paramref name="change"/>: its results.csv lines and
    /// its last checkpoint's state hash.</summary>
    private static (string[] Csv, string? State) RunCase(string name, Func<RunOptions, RunOptions> change, Action<JsonObject>? checkManifest = null)
    {
        var dir = TestAssets.NewTempDir();
        var run = Path.Combine(dir, "run");
        switch (change((RunOptions)GoldenRuns.Options(name, dir)))
        {
            case SftRunOptions o: SftRun.Start(o, run).Model.Dispose(); break;
            case DpoRunOptions o: DpoRun.Start(o, run).Model.Dispose(); break;
            default: throw new ArgumentException(name, nameof(name));
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunFolder.ManifestFile)))!.AsObject();
        checkManifest?.Invoke((manifest["options"] as JsonObject) ?? manifest);
        var last = Checkpoints.List(Path.Combine(run, "checkpoints"))[^1];
        var state = (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(last, "checkpoint.json")))!["state_sha256"];
        return (File.ReadAllLines(Path.Combine(run, "results.csv")), state);
    }

    private static List<double> TrainLosses(string[] csv)
    {
        var header = csv[0].Split(',');
        int step = Array.IndexOf(header, "train_loss");
        Assert.True(step >= 0, csv[0]);
        return [.. csv.Skip(1).Select(l => l.Split(',')[step]).Where(v => v.Length > 0).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
    }
}
