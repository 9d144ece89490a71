using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hone.Models.Chat;
using Hone.Models.Llama;
using Hone.Tokenizers.Chat;

namespace Hone.Training.Export;

/// <summary>
/// A training run's model as a chat client, with no export step: <c>RUN[@EPOCH]</c> names the run folder and, optionally,
/// the epoch of a kept checkpoint (<c>@best</c> or <c>@last</c> also work); without one, the checkpoint that scored best on
/// the golden set when the run scored them, else the newest. The trained parameters are applied in process (a LoRA
/// adapter merged into a copy of the base), with the tokenizer and chat template the run trained with. The client's
/// content address is the checkpoint's tensor hash with the template, so cached answers never cross checkpoints.
/// </summary>
public static class RunChatClient
{
    /// <summary>Splits <c>RUN[@EPOCH|@best|@last]</c> into the run and the epoch (null: best, else newest; -1: newest).</summary>
    /// <exception cref="TrainingException">The part after '@' is not an epoch number, best or last.</exception>
    public static (string Run, int? Epoch) Parse(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        int at = reference.LastIndexOf('@');
        if (at < 0) return (reference, null);
        var tail = reference[(at + 1)..];
        var run = reference[..at];
        if (tail == "best") return (run, null);
        if (tail == "last") return (run, -1);
        if (int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) && epoch >= 1) return (run, epoch);
        throw new TrainingException($"'{reference}': after '@' give an epoch number (1 or more), best or last; e.g. run:runs/sft-1@2.");
    }

    /// <summary>Opens the run's checkpoint as <see cref="Parse"/> describes (epoch -1: the newest).</summary>
    public static TrainedRun Open(string runFolder, int? epoch) =>
        epoch == -1 ? TrainedRun.Open(runFolder, null, preferBest: false) : TrainedRun.Open(runFolder, epoch, preferBest: true);

    /// <summary>Loads the checkpoint of <paramref name="epoch"/> (see <see cref="Parse"/>) of <paramref name="runFolder"/> as a chat client.</summary>
    public static LocalChatClient Load(string runFolder, int? epoch, LocalChatClientOptions? options = null)
    {
        var run = Open(runFolder, epoch);
        var encoder = ChatEncoder.Load(run.ModelPath, run.TokenizerPath, run.TemplateName);
        LlamaModel model;
        using (var baseModel = run.LoadBase()) model = new LlamaModel(run.TunedWeights(baseModel));
        try
        {
            options ??= new LocalChatClientOptions();
            model.PackForInference(options.Pool);
            var content = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.StateSha256 + "\n" + encoder.TemplateSource)));
            var id = $"run:{Path.GetFileName(run.Path)}@{run.Epoch}";
            return new LocalChatClient(model, encoder, options with { ModelId = options.ModelId ?? id, ContentId = options.ContentId ?? content }, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
