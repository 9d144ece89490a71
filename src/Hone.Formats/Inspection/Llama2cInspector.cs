using Hone.Formats.Llama2c;

namespace Hone.Formats.Inspection;

/// <summary>Inspection of llama2.c checkpoints.</summary>
internal static class Llama2cInspector
{
    public static ModelInfo Inspect(string path)
    {
        using var c = Llama2cCheckpoint.Open(path);
        var cfg = c.Config;
        var parameters = c.Tensors
            .Where(t => !t.Name.StartsWith("freq_cis", StringComparison.Ordinal) && !(t.Name == "wcls" && cfg.SharedClassifier))
            .Select(t => (t.Name, t.ElementCount)).ToList();
        return new ModelInfo
        {
            Format = ModelFormat.Llama2c,
            Architecture = "llama",
            Dim = cfg.Dim,
            Layers = cfg.Layers,
            Heads = cfg.Heads,
            KvHeads = cfg.KvHeads,
            HeadDim = cfg.HeadDim,
            FfnDim = cfg.HiddenDim,
            VocabSize = cfg.VocabSize,
            ContextLength = cfg.SeqLen,
            RopeTheta = 10000.0,
            TiedEmbeddings = cfg.SharedClassifier,
            ParameterCount = parameters.Sum(p => p.ElementCount),
            ParametersByGroup = ParameterGroups.Sum(parameters),
            Dtypes = ["F32"],
            Files = [c.Path],
        };
    }
}
