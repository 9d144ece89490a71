using Hone.Data.Cost;

namespace Hone.Data.Tests.Checks;

/// <summary>The price table's optional inference prices (what a teacher or reviewer costs per 1M tokens in and out).</summary>
public sealed class PriceTableInferenceTests
{
    [Fact]
    public void Input_and_output_prices_are_read_beside_the_training_price()
    {
        var t = PriceTable.Parse("models:\n  teacher-1: {training_per_1m: 25, input_per_1m: 2.5, output_per_1m: 10}\n  tuned: {training_per_1m: 3}\n", "p.yaml");
        Assert.Equal((25m, 2.5m, 10m), (t.Find("teacher-1")!.TrainingPer1M, t.Find("teacher-1")!.InputPer1M, t.Find("teacher-1")!.OutputPer1M));
        Assert.Null(t.Find("tuned")!.InputPer1M);
        Assert.Equal(0.60m, PriceTable.Default.Find("gpt-4o-mini")!.OutputPer1M);
        var bad = Assert.Throws<PriceTableException>(() => PriceTable.Parse("models:\n  m: {training_per_1m: 1, input_per_1m: -1}\n", "p.yaml"));
        Assert.Contains("input_per_1m of 'm'", bad.Message, StringComparison.Ordinal);
        Assert.Throws<PriceTableException>(() => PriceTable.Parse("models:\n  m: {training_per_1m: 1, cached_per_1m: 1}\n", "p.yaml"));
    }
}
