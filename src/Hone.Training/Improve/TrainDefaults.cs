using System.Text.Json;
using Hone.Core;

namespace Hone.Training.Improve;

/// <summary>
/// Settings a sweep wrote back for the next <c>hone train sft</c> in the workspace (<c>train-defaults.json</c> at its root):
/// each applies when its option is not given on the command line.
/// </summary>
/// <param name="Epochs">Epochs.</param>
/// <param name="LrMultiplier">Learning-rate multiplier.</param>
/// <param name="LoraRank">LoRA rank.</param>
/// <param name="Source">The sweep folder that chose them.</param>
/// <param name="Score">The winner's golden-set score.</param>
public sealed record TrainDefaults(int Epochs, double LrMultiplier, int LoraRank, string Source, double Score)
{
    /// <summary>The file name at the workspace root.</summary>
    public const string FileName = "train-defaults.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes the defaults atomically into <paramref name="workspaceRoot"/>; returns the file.</summary>
    public string Write(string workspaceRoot)
    {
        var path = Path.Combine(workspaceRoot, FileName);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
        return path;
    }

    /// <summary>The defaults of <paramref name="workspaceRoot"/>, or null.</summary>
    /// <exception cref="TrainingException">The file is damaged.</exception>
    public static TrainDefaults? Read(string workspaceRoot)
    {
        var path = Path.Combine(workspaceRoot, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<TrainDefaults>(File.ReadAllText(path), Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: damaged ({e.Message}); delete it or run `hone sweep` again.", e);
        }
    }
}
