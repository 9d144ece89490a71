using System.Globalization;
using Hone.Training.Sft;
using Hone.Training.Objectives;
using Hone.Training.Rft;

namespace Hone.App.Training;

/// <summary>
/// The texts a training command takes as given and reads once (<c>auto</c> or a count, a method's name): an invalid one
/// is a <see cref="UseCaseException"/> naming the option.
/// </summary>
public static class TrainText
{
    /// <summary><c>auto</c> as null, else a whole number of at least 1 (epochs, batch size).</summary>
    public static int? AutoCount(string text, string option) =>
        text == "auto" ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
        : throw new UseCaseException($"{option} '{text}' must be 'auto' or a whole number of at least 1.");

    /// <summary><c>lora</c> or <c>full</c>.</summary>
    public static TrainingMethod Method(string text) => text switch
    {
        "lora" => TrainingMethod.Lora,
        "full" => TrainingMethod.Full,
        _ => throw new UseCaseException($"--method '{text}' must be lora or full."),
    };

    /// <summary><c>f32</c> or <c>bf16</c>: the type a LoRA run holds its frozen base's linear layers in.</summary>
    public static Hone.Models.Train.LoraBaseType BaseType(string text) => text switch
    {
        "f32" => Hone.Models.Train.LoraBaseType.F32,
        "bf16" => Hone.Models.Train.LoraBaseType.BF16,
        _ => throw new UseCaseException($"--base-dtype '{text}' must be f32 or bf16."),
    };

    /// <summary>DPO's beta: <c>auto</c> (<see cref="DpoSettings.DefaultBeta"/>) or a positive number.</summary>
    public static double Beta(string text) =>
        text == "auto" ? DpoSettings.DefaultBeta
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && b > 0 ? b
        : throw new UseCaseException($"--beta '{text}' must be 'auto' or a positive number.");

    /// <summary>DPO's loss: <c>sigmoid</c>, <c>ipo</c> or <c>hinge</c>.</summary>
    public static DpoLossKind Loss(string text) => text switch
    {
        "sigmoid" => DpoLossKind.Sigmoid,
        "ipo" => DpoLossKind.Ipo,
        "hinge" => DpoLossKind.Hinge,
        _ => throw new UseCaseException($"--loss '{text}' must be sigmoid, ipo or hinge."),
    };

    /// <summary>What RFT does when a grader fails: <c>skip</c> or <c>stop</c>.</summary>
    public static GraderErrorPolicy GraderErrors(string text) => text switch
    {
        "skip" => GraderErrorPolicy.Skip,
        "stop" => GraderErrorPolicy.Stop,
        _ => throw new UseCaseException($"--on-grader-error '{text}' must be skip or stop."),
    };

    /// <summary>Comma-separated token ids (each a whole number of at least 0), in the order given.</summary>
    public static int[] TokenIds(string text, string option) =>
        [.. List(text).Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
            : throw new UseCaseException($"{option}: '{t}' is not a token id; give the ids the tokenizer produces, comma-separated (e.g. 128009,128001)."))];

    /// <summary>A comma-separated list, entries trimmed, empty ones left out.</summary>
    public static string[] List(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
