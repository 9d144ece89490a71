using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Testing;
using Hone.Tokenizers;
using Hone.Training.Export;
using Xunit.Abstractions;

namespace Hone.Interop.Tests;

/// <summary>What llama.cpp does with a GGUF whose tokenizer names no EOS, and the note the export gives for it.</summary>
public class GgufTokenizerNoteTests(ITestOutputHelper output)
{
    [Fact]
    public void A_BPE_tokenizer_without_an_EOS_is_noted_because_llama_cpp_then_takes_id_11()
    {
        // A tokenizer.json with no tokenizer_config.json beside it: Hone knows no EOS, so the GGUF carries none.
        var dir = TestAssets.NewTempDir("no-eos");
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), InteropModels.Gpt2VocabTokenizerJson("llama3"));
        var tok = TokenizerLoader.Load(dir);
        Assert.Null(tok.EosId);
        var notes = new List<string>();
        var metadata = GgufTokenizerMetadata.Build(dir, dir, "llama", tok.VocabSize, notes);
        var config = new LlamaConfig { Dim = 16, HiddenDim = 24, Layers = 1, Heads = 2, KvHeads = 2, HeadDim = 8, VocabSize = tok.VocabSize, MaxSeqLen = 32 };
        using var model = TinyModels.Create(config, seed: 1);
        var path = Path.Combine(dir, "model.gguf");
        GgufExport.Build(model.Weights, "no-eos", GgufExportType.F32, metadata, notes).Write(path);

        using var cpp = LlamaCpp.Load(path);
        var log = LlamaCpp.TakeLog();
        output.WriteLine($"llama.cpp EOS {(int?)cpp.Model.Vocab.EOS}; log: {log}; notes: {string.Join(" | ", notes)}");
        Assert.Equal(11, (int?)cpp.Model.Vocab.EOS); // "," in GPT-2's vocabulary: generation would stop at the first comma
        Assert.Contains(notes, n => n.Contains("end-of-sequence", StringComparison.Ordinal));
    }
}
