using Hone.Formats.Gguf;
using Hone.Models.Adapters;
using Hone.Models.Llama;

namespace Hone.Training.Export;

/// <summary>
/// Writes a LoRA adapter as a llama.cpp GGUF adapter (what llama.cpp's convert_lora_to_gguf.py writes, and what
/// <c>llama-cli --lora</c> / <c>llama_adapter_lora_init</c> load over the base model's GGUF): <c>general.type</c> =
/// "adapter", <c>adapter.type</c> = "lora", <c>adapter.lora.alpha</c>, the base's <c>general.architecture</c>, and
/// for each adapted weight <c>blk.N.attn_q.weight.lora_a</c> (A, ggml shape {in, rank}) and <c>.lora_b</c> (B, ggml
/// shape {rank, out}); B's Q/K rows in the interleaved order of a <c>llama</c>-architecture GGUF, as the base's own
/// rows are. llama.cpp scales B·A by alpha / rank, so an rsLoRA adapter is written with alpha × √rank.
/// </summary>
public static class GgufLoraExport
{
    /// <summary>Builds the adapter GGUF in memory.</summary>
    /// <param name="adapter">The adapter, B rows in Hugging Face order (<see cref="TrainedRun.ToAdapter"/>).</param>
    /// <param name="baseConfig">The base model's configuration (architecture and head counts).</param>
    /// <param name="name">general.name.</param>
    /// <param name="type">F32, or F16 for the A and B matrices.</param>
    public static GgufWriter Build(PeftAdapter adapter, LlamaConfig baseConfig, string name, GgufExportType type)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(baseConfig);
        ArgumentNullException.ThrowIfNull(name);
        if (adapter.TrainableTokens.Count > 0)
            throw new TrainingException("A llama.cpp LoRA adapter holds no token rows, and this adapter trains some (trainable tokens); export the run with --format merged or --format gguf instead.");
        string arch = GgufExport.Architecture(baseConfig);
        var w = new GgufWriter();
        w.Add(LlamaGguf.Keys.Architecture, arch);
        w.Add("general.type", "adapter");
        w.Add(LlamaGguf.Keys.Name, name);
        w.Add(LlamaGguf.Keys.FileType, type == GgufExportType.F16 ? 1u : 0u);
        w.Add("adapter.type", "lora");
        w.Add("adapter.lora.alpha", adapter.Scale * adapter.Rank);
        var tensorType = type == GgufExportType.F16 ? GgmlType.F16 : GgmlType.F32;
        foreach (var pair in adapter.Pairs)
        {
            var hfName = PeftAdapter.WeightName(pair.Layer, pair.Module);
            var ggufName = LlamaGguf.FromHuggingFace(hfName) ?? throw new TrainingException($"LoRA module '{pair.Module}' has no GGUF tensor name.");
            var (outDim, inDim) = PeftAdapter.ModuleShape(baseConfig, pair.Module);
            w.AddTensor(ggufName + ".lora_a", [inDim, adapter.Rank], pair.A, tensorType);
            w.AddTensor(ggufName + ".lora_b", [adapter.Rank, outDim], RowOrder(baseConfig, hfName, pair.B, adapter.Rank, arch == "llama"), tensorType);
        }

        return w;
    }

    /// <summary>B [out, rank] with Q/K rows permuted to the interleaved order of a <c>llama</c> GGUF (Hugging Face order otherwise).</summary>
    private static float[] RowOrder(LlamaConfig c, string hfName, float[] b, int rank, bool interleaved)
    {
        int heads = HfFolderExport.QkHeads(c, hfName);
        if (heads == 0 || !interleaved) return b;
        var dst = new float[b.Length];
        LlamaGguf.PermuteHfToGguf(b, dst, heads, rank);
        return dst;
    }
}
