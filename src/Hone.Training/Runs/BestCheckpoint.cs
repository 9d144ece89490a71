using System.Text.Json;
using Hone.Core;

namespace Hone.Training.Runs;

/// <summary>
/// The checkpoint of a run that scored best on the golden set (<c>RUN/best.json</c>, written atomically by the training
/// loop each time a checkpoint is scored). <c>hone export</c> and <c>hone eval --model run:RUN</c> take it by default.
/// </summary>
/// <param name="Epoch">The epoch whose checkpoint scored best (the newest of equal scores).</param>
/// <param name="Metric">The metric (<see cref="MetricNames.GoldenAccuracy"/>).</param>
/// <param name="Value">Its score.</param>
/// <param name="Low">Lower end of the score's 95% interval.</param>
/// <param name="High">Upper end of the score's 95% interval.</param>
/// <param name="Scorer">What the score is (e.g. "golden accuracy on orders.yaml").</param>
public sealed record BestCheckpoint(int Epoch, string Metric, double Value, double Low, double High, string Scorer)
{
    /// <summary>The file name in the run folder.</summary>
    public const string FileName = "best.json";

    /// <summary>Writes the record into <paramref name="runFolder"/> atomically.</summary>
    public void Write(string runFolder) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, Checkpoints.Json));

    /// <summary>The record of <paramref name="runFolder"/>, or null when the run scored no checkpoint.</summary>
    /// <exception cref="TrainingException">The file is damaged.</exception>
    public static BestCheckpoint? Read(string runFolder)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<BestCheckpoint>(File.ReadAllText(path), Checkpoints.Json)
                ?? throw new TrainingException($"{path}: empty; delete it to use the newest checkpoint.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: damaged ({e.Message}); delete it to use the newest checkpoint.", e);
        }
    }
}
