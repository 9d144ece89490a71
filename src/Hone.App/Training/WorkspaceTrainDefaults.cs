using System.Globalization;
using Hone.Training.Improve;
using Hone.Training.Sft;

namespace Hone.App.Training;

/// <summary>
/// Which of the settings a sweep tunes the caller gave itself: the ones not given are taken from the workspace's
/// train-defaults.json (the winner of the last <c>hone sweep</c>) when there is one.
/// </summary>
/// <param name="Epochs">Epochs were given.</param>
/// <param name="LrMultiplier">The learning-rate multiplier was given.</param>
/// <param name="LoraRank">The LoRA rank was given.</param>
public sealed record WorkspaceTrainDefaults(bool Epochs, bool LrMultiplier, bool LoraRank)
{
    /// <summary>
    /// <paramref name="options"/> with the settings not given taken from <paramref name="defaults"/> (LoRA alpha scaled
    /// with the rank); <paramref name="warn"/> hears which were taken.
    /// </summary>
    public SftRunOptions Apply(SftRunOptions options, TrainDefaults defaults, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(defaults);
        var taken = new List<string>();
        if (!Epochs)
        {
            options = options with { Trainer = options.Trainer with { Epochs = defaults.Epochs } };
            taken.Add($"--epochs {defaults.Epochs}");
        }
        if (!LrMultiplier)
        {
            options = options with { Trainer = options.Trainer with { LearningRateMultiplier = defaults.LrMultiplier } };
            taken.Add($"--lr-multiplier {defaults.LrMultiplier.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!LoraRank)
        {
            options = options with { Lora = options.Lora with { Rank = defaults.LoraRank, Alpha = options.Lora.Alpha * defaults.LoraRank / options.Lora.Rank } };
            taken.Add($"--lora-rank {defaults.LoraRank}");
        }
        if (taken.Count > 0)
            warn?.Invoke($"using {string.Join(", ", taken)} from {TrainDefaults.FileName} (the winner of the sweep in {defaults.Source}); give the options to override.");
        return options;
    }
}
