using Hone.Models.Llama;
using Hone.Testing;
using Hone.Training.Export;
using Hone.Training.Tests.Export;

namespace Hone.Interop.Tests;

/// <summary>
/// A real fine-tuning run shared by the stories260K tests: stories260K (llama2.c checkpoint, tok512 tokenizer) tuned
/// with LoRA on every linear layer for one epoch by SftTrainer, as `hone train sft` leaves it; plus the base model
/// written as GGUF by Hone's export (what a LoRA adapter is applied to).
/// </summary>
public sealed class StoriesRun : IDisposable
{
    private readonly Dictionary<string, ExportResult> _exports = [];
    private readonly object _gate = new();

    public StoriesRun()
    {
        Dir = TestAssets.NewTempDir("interop-stories");
        (Run, _) = ExportFixture.Train(Path.Combine(Dir, "train"), ExportFixture.Llama2cBase, lora: true);
        BaseGguf = Path.Combine(Dir, "base-f32.gguf");
        var run = TrainedRun.Open(Run);
        using var baseModel = run.LoadBase();
        var md = GgufTokenizerMetadata.Build(run.ModelPath, run.TokenizerSource, baseModel.Config.ModelType, baseModel.Config.VocabSize, []);
        GgufExport.Build(baseModel.Weights, "stories260K", GgufExportType.F32, md).Write(BaseGguf);
    }

    public string Dir { get; }

    /// <summary>The LoRA run folder.</summary>
    public string Run { get; }

    /// <summary>The untuned base as an F32 GGUF.</summary>
    public string BaseGguf { get; }

    /// <summary>The run exported with <paramref name="options"/> (made once per distinct output name).</summary>
    public ExportResult Export(string name, ExportOptions options)
    {
        lock (_gate)
        {
            if (_exports.TryGetValue(name, out var r)) return r;
            r = Exporter.Export(Run, options with { Output = Path.Combine(Dir, name) });
            _exports[name] = r;
            return r;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
